/**
 * The routes of the queue as a whole: settings, counts per name, throughput, pauses, and the
 * recurring jobs (schedules) with unscheduling.
 */
import type { NameStats } from '@monque/core';
import { BadRequest } from './bad-request.js';
import { onlyKeys, optionalString, type Route } from './route.js';

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
      const byName: Record<string, unknown> = {};
      for (const [name, counts] of Object.entries(stats.byName)) {
        byName[name] = { ...counts, paused: paused === 'all' || paused.includes(name) };
      }
      // A paused name without jobs is listed too: the overview must show every pause to resume.
      if (paused !== 'all') for (const name of paused) byName[name] ??= { ...ZERO, paused: true };
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
    path: ['schedules'],
    handle: async ({ monque, search }) => {
      for (const key of search.keys()) throw new BadRequest(`unknown parameter ${JSON.stringify(key)} (none known)`);
      const [schedules, paused] = await Promise.all([monque.getSchedules(), monque.getPaused()]);
      return { now: new Date(), schedules, paused };
    },
  },
  {
    method: 'POST',
    path: ['schedules', ':name', 'unschedule'],
    handle: async ({ monque, params, body }) => {
      onlyKeys(body, ['uniqueKey']);
      const uniqueKey = optionalString(body, 'uniqueKey');
      const name = params.name as string;
      if (!(await monque.unschedule(name, uniqueKey === undefined ? undefined : { uniqueKey }))) {
        const which = uniqueKey === undefined ? '' : ` with unique key ${JSON.stringify(uniqueKey)}`;
        throw new BadRequest(`no recurring job ${JSON.stringify(name)}${which}`, 404);
      }
      return { unscheduled: true };
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
      method: 'POST',
      path: ['queues', verb],
      handle: async ({ monque, body }) => {
        onlyKeys(body, []);
        await monque[verb]();
        return { paused: await monque.getPaused() };
      },
    },
  ]),
];
