/** What every route of the JSON API is made of, and the small checks they share. */
import type { DashboardMonque } from '../dashboard-options.js';
import { BadRequest } from './bad-request.js';

/** What a route handler gets. */
export interface RouteContext {
  readonly monque: DashboardMonque;
  /** The `:name` parts of the route's path, decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly search: URLSearchParams;
  /** The JSON body of a `POST` (already read and checked). */
  readonly body: Record<string, unknown>;
  readonly readOnly: boolean;
}

/** One route of the API. */
export interface Route {
  readonly method: 'GET' | 'POST';
  /** Path segments after `api/`; `:x` matches one segment. */
  readonly path: readonly string[];
  /** Answers with 200 and the returned value (converted to JSON). */
  readonly handle: (context: RouteContext) => Promise<unknown>;
}

/** A string field of a body, or `undefined` when absent; a 400 for another type. */
export function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadRequest(`${key}: must be a string`);
  return value;
}

/** Refuses a body with a field not in `keys` (a typo must not be ignored). */
export function onlyKeys(body: Record<string, unknown>, keys: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!keys.includes(key)) {
      throw new BadRequest(`unknown field ${JSON.stringify(key)}${keys.length ? ` (known: ${keys.join(', ')})` : ''}`);
    }
  }
}
