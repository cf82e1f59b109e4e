/**
 * Hash routes, so the page itself is always served from the dashboard's root:
 * `#/` overview, `#/jobs?…filters` job list, `#/jobs/<id>` job detail, `#/schedules` the
 * recurring jobs.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { view: 'overview' }
  | { view: 'jobs'; params: URLSearchParams }
  | { view: 'job'; id: string }
  | { view: 'schedules' }
  | { view: 'not-found'; path: string };

/** Reads a hash such as `#/jobs?name=email`. */
export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const at = raw.indexOf('?');
  const path = at < 0 ? raw : raw.slice(0, at);
  const query = at < 0 ? '' : raw.slice(at + 1);
  if (path === '/' || path === '') return { view: 'overview' };
  if (path === '/jobs') return { view: 'jobs', params: new URLSearchParams(query) };
  if (path === '/schedules') return { view: 'schedules' };
  const match = /^\/jobs\/([0-9a-fA-F]{24})$/.exec(path);
  if (match?.[1]) return { view: 'job', id: match[1] };
  return { view: 'not-found', path };
}

/** The hash of the job list with these filters. */
export function jobsHash(params: URLSearchParams): string {
  const query = params.toString();
  return `#/jobs${query ? `?${query}` : ''}`;
}

/** The current route; re-renders on navigation. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** Goes to `hash` (adds a history entry). */
export function navigate(hash: string): void {
  window.location.hash = hash;
}
