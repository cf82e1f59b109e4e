/**
 * The JSON API under `{basePath}/api`, one route per entry (`job-routes.ts`, `queue-routes.ts`).
 * Reads (`GET`) return data; changes (`POST`) go through the guards in `create-dashboard.ts` first
 * (read-only mode, origin, JSON body).
 */
import { JOB_ROUTES } from './job-routes.js';
import { QUEUE_ROUTES } from './queue-routes.js';
import type { Route, RouteContext } from './route.js';
import { toJson } from './to-json.js';

export type { Route, RouteContext } from './route.js';

/** Every route of the API. */
export const ROUTES: readonly Route[] = [...QUEUE_ROUTES, ...JOB_ROUTES];

/** The route for `segments`, with its `:params`; `methods` lists the methods the path has (for 405). */
export function matchRoute(
  method: string,
  segments: readonly string[],
): { route: Route; params: Record<string, string> } | { route: null; methods: string[] } {
  const methods: string[] = [];
  for (const route of ROUTES) {
    if (route.path.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = route.path.every((part, index) => {
      const segment = segments[index] as string;
      if (part.startsWith(':')) {
        params[part.slice(1)] = segment;
        return segment.length > 0;
      }
      return part === segment;
    });
    if (!matches) continue;
    // A literal route (jobs/count, queues/pause) wins over a parameter at the same place.
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params };
    methods.push(route.method);
  }
  return { route: null, methods };
}

/** Runs a route and converts its result to JSON. */
export async function runRoute(route: Route, context: RouteContext): Promise<unknown> {
  return toJson(await route.handle(context));
}
