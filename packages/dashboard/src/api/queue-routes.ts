/**
 * The routes of the queue as a whole: settings, counts per name, throughput, pauses, and the
 * recurring jobs (schedules) with unscheduling.
 */
import type { NameStats } from '@monque/core';
import { recordOf } from '../shared/own-record.js';
import { BadRequest } from './bad-request.js';
import { onlyKeys, optionalString, type Route, type RouteContext } from './route.js';
import { encodeScheduleCursor, scheduleAfter, schedulesPageOf } from './schedule-page.js';

const ZERO: NameStats = {
  waiting: 0,
  pending: 0,
  due: 0,
  processing: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  oldestDueAt: null,
};

/** The routes of stats, throughput, pauses and schedules. */
export const QUEUE_ROUTES: readonly Route[] = [
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
      // A Map, made an object once (own-record.ts): names such as `__proto__` or `constructor`
      // are names like any other.
      const byName = new Map<string, unknown>();
      for (const [name, counts] of Object.entries(stats.byName)) {
        byName.set(name, { ...counts, paused: paused === 'all' || paused.includes(name) });
      }
      // A paused name without jobs is listed too: the overview must show every pause to resume.
      if (paused !== 'all') {
        for (const name of paused) if (!byName.has(name)) byName.set(name, { ...ZERO, paused: true });
      }
      return { now: new Date(), total: stats.total, byName: recordOf(byName), paused };
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
    // A page of the recurring jobs (1000 by default) and the cursor of the next one, `null` when
    // there is none: past a page, none is left out without saying so.
    method: 'GET',
    path: ['schedules'],
    handle: async ({ monque, search }) => {
      const { limit, after } = schedulesPageOf(search);
      const [schedules, paused] = await Promise.all([
        monque.getSchedules({ limit, ...(after ? { after } : {}) }),
        monque.getPaused(),
      ]);
      const last = schedules[schedules.length - 1];
      // A full page: one more read of one job says whether another page follows.
      const next = last && schedules.length === limit ? scheduleAfter(last) : undefined;
      const more = next !== undefined && (await monque.getSchedules({ limit: 1, after: next })).length > 0;
      return { now: new Date(), schedules, paused, nextCursor: more && next ? encodeScheduleCursor(next) : null };
    },
  },
  {
    method: 'POST',
    path: ['schedules', ':name', 'unschedule'],
    handle: async ({ monque, params, body }) => {
      onlyKeys(body, ['uniqueKey']);
      return unschedule(monque, params.name as string, optionalString(body, 'uniqueKey'));
    },
  },
  {
    // The name in the body: any name, `.` and `..` included (a URL drops those path segments).
    method: 'POST',
    path: ['schedules', 'unschedule'],
    handle: async ({ monque, body }) => {
      onlyKeys(body, ['name', 'uniqueKey']);
      return unschedule(monque, requiredName(body, 'unschedule'), optionalString(body, 'uniqueKey'));
    },
  },
  ...(['pause', 'resume'] as const).flatMap((verb): Route[] => [
    {
      method: 'POST',
      path: ['queues', ':name', verb],
      handle: async ({ monque, params, body }) => {
        onlyKeys(body, []);
        await monque[verb](params.name);
        return { paused: await monque.getPaused() };
      },
    },
    {
      // `{ "name": … }` (any name, `.` and `..` included) or `{ "all": true }`, said explicitly: a
      // path whose name was a dot segment arrives here without one, and must not mean every name.
      method: 'POST',
      path: ['queues', verb],
      handle: async ({ monque, body }) => {
        onlyKeys(body, ['name', 'all']);
        if (body.all !== undefined) {
          if (body.all !== true || body.name !== undefined) {
            throw new BadRequest(`all: give { "all": true } alone to ${verb} every job name`);
          }
          await monque[verb]();
        } else await monque[verb](requiredName(body, verb));
        return { paused: await monque.getPaused() };
      },
    },
  ]),
];

/** The `name` of a body; a 400 saying what to send when it is missing or not a name. */
function requiredName(body: Record<string, unknown>, verb: string): string {
  const name = body.name;
  if (typeof name === 'string' && name.trim() !== '') return name;
  const all = verb === 'unschedule' ? '' : ', or { "all": true } for every job name';
  if (name === undefined) throw new BadRequest(`${verb}: give the job name in the body as { "name": … }${all}`);
  throw new BadRequest(`name: ${JSON.stringify(name)} is not a job name (a non-empty string)`);
}

async function unschedule(
  monque: RouteContext['monque'],
  name: string,
  uniqueKey: string | undefined,
): Promise<{ unscheduled: true }> {
  if (!(await monque.unschedule(name, uniqueKey === undefined ? undefined : { uniqueKey }))) {
    const which = uniqueKey === undefined ? '' : ` with unique key ${JSON.stringify(uniqueKey)}`;
    throw new BadRequest(`no recurring job ${JSON.stringify(name)}${which}`, 404);
  }
  return { unscheduled: true };
}
