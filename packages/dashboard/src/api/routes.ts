/**
 * The JSON API under `{basePath}/api`, one route per entry. Reads (`GET`) return data; changes
 * (`POST`) go through the guards in `create-dashboard.ts` first (read-only mode, origin, JSON body).
 */
import type { DashboardMonque } from '../dashboard-options.js';
import { BadRequest } from './bad-request.js';
import { dateOf, jobIdOf, queryFromBody, queryFromSearchParams } from './job-filter.js';
import { toJson } from './to-json.js';

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

function notFound(id: string): never {
  throw new BadRequest(`no job with id ${id}`, 404);
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadRequest(`${key}: must be a string`);
  return value;
}

function onlyKeys(body: Record<string, unknown>, keys: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!keys.includes(key)) {
      throw new BadRequest(`unknown field ${JSON.stringify(key)}${keys.length ? ` (known: ${keys.join(', ')})` : ''}`);
    }
  }
}

const id = (context: RouteContext): string => jobIdOf(context.params.id ?? '');

async function jobOrNotFound(promise: Promise<unknown>, jobId: string): Promise<unknown> {
  const job = await promise;
  if (job === null) notFound(jobId);
  return { job };
}

/** Every route of the API. */
export const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: ['config'],
    handle: async ({ readOnly }) => ({ readOnly }),
  },
  {
    method: 'GET',
    path: ['stats'],
    handle: async ({ monque }) => {
      const [stats, paused] = await Promise.all([monque.getStats(), monque.getPaused()]);
      const byName: Record<string, unknown> = {};
      for (const [name, counts] of Object.entries(stats.byName)) {
        byName[name] = { ...counts, paused: paused === 'all' || paused.includes(name) };
      }
      return { now: new Date(), total: stats.total, byName, paused };
    },
  },
  {
    method: 'GET',
    path: ['paused'],
    handle: async ({ monque }) => ({ paused: await monque.getPaused() }),
  },
  {
    method: 'GET',
    path: ['throughput'],
    handle: async ({ monque, search }) => {
      const options: { minutes?: number; name?: string } = {};
      for (const [key, value] of search) {
        if (key === 'minutes') {
          if (!/^\d+$/.test(value)) throw new BadRequest(`minutes: ${JSON.stringify(value)} is not a whole number`);
          options.minutes = Number(value);
        } else if (key === 'name') options.name = value;
        else throw new BadRequest(`unknown parameter ${JSON.stringify(key)} (known: minutes, name)`);
      }
      return { buckets: await monque.getThroughput(options) };
    },
  },
  {
    method: 'GET',
    path: ['jobs'],
    handle: async ({ monque, search }) => {
      const { query, page } = queryFromSearchParams(search);
      return monque.getJobs(query, page);
    },
  },
  {
    method: 'GET',
    path: ['jobs', 'count'],
    handle: async ({ monque, search }) => {
      const { query, page } = queryFromSearchParams(search);
      if (page.cursor !== undefined || page.limit !== undefined) throw new BadRequest('count takes no cursor or limit');
      return { count: await monque.countJobs(query) };
    },
  },
  {
    method: 'GET',
    path: ['jobs', ':id'],
    handle: async (context) => jobOrNotFound(context.monque.getJob(id(context)), id(context)),
  },
  {
    method: 'POST',
    path: ['jobs', ':id', 'retry'],
    handle: async (context) => {
      onlyKeys(context.body, []);
      return jobOrNotFound(context.monque.retryJob(id(context)), id(context));
    },
  },
  {
    method: 'POST',
    path: ['jobs', ':id', 'cancel'],
    handle: async (context) => {
      onlyKeys(context.body, ['reason']);
      const reason = optionalString(context.body, 'reason');
      return jobOrNotFound(context.monque.cancelJob(id(context), reason ? { reason } : undefined), id(context));
    },
  },
  {
    method: 'POST',
    path: ['jobs', ':id', 'reschedule'],
    handle: async (context) => {
      onlyKeys(context.body, ['runAt']);
      const runAt = context.body.runAt;
      const when = runAt === undefined || runAt === 'now' ? new Date() : dateOf('runAt', runAt);
      return jobOrNotFound(context.monque.rescheduleJob(id(context), when), id(context));
    },
  },
  {
    method: 'POST',
    path: ['jobs', ':id', 'delete'],
    handle: async (context) => {
      onlyKeys(context.body, []);
      if (!(await context.monque.deleteJob(id(context)))) notFound(id(context));
      return { deleted: true };
    },
  },
  {
    method: 'POST',
    path: ['jobs', 'retry'],
    handle: async ({ monque, body }) => monque.retryJobs(queryFromBody(body)),
  },
  {
    method: 'POST',
    path: ['jobs', 'cancel'],
    handle: async ({ monque, body }) => {
      const reason = optionalString(body, 'reason');
      return monque.cancelJobs(queryFromBody(body, ['reason']), reason ? { reason } : undefined);
    },
  },
  {
    method: 'POST',
    path: ['jobs', 'delete'],
    handle: async ({ monque, body }) => monque.deleteJobs(queryFromBody(body)),
  },
  {
    method: 'POST',
    path: ['queues', ':name', 'pause'],
    handle: async ({ monque, params, body }) => {
      onlyKeys(body, []);
      await monque.pause(params.name);
      return { paused: await monque.getPaused() };
    },
  },
  {
    method: 'POST',
    path: ['queues', ':name', 'resume'],
    handle: async ({ monque, params, body }) => {
      onlyKeys(body, []);
      await monque.resume(params.name);
      return { paused: await monque.getPaused() };
    },
  },
  {
    method: 'POST',
    path: ['queues', 'pause'],
    handle: async ({ monque, body }) => {
      onlyKeys(body, []);
      await monque.pause();
      return { paused: await monque.getPaused() };
    },
  },
  {
    method: 'POST',
    path: ['queues', 'resume'],
    handle: async ({ monque, body }) => {
      onlyKeys(body, []);
      await monque.resume();
      return { paused: await monque.getPaused() };
    },
  },
];

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
