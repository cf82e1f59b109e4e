/**
 * Hash routes, so the page itself is always served from the dashboard's root:
 * `#/` overview, `#/jobs?…filters` job list, `#/jobs/<id>` job detail.
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { view: 'overview' }
  | { view: 'jobs'; params: URLSearchParams }
  | { view: 'job'; id: string }
  | { view: 'not-found'; path: string };

/** Reads a hash such as `#/jobs?name=email`. */
export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const [path = '/', query = ''] = raw.split('?', 2);
  if (path === '/' || path === '') return { view: 'overview' };
  if (path === '/jobs') return { view: 'jobs', params: new URLSearchParams(query) };
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
