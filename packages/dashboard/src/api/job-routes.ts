/**
 * The routes of jobs: the list (filters, order, pages), counts, one job, and the changes of one job
 * or of many (by filters, by the ids of selected jobs, or every job with `{ "all": true }`).
 */
import { JOB_STATUSES } from '@monque/core';
import type { DashboardMonque } from '../dashboard-options.js';
import { BadRequest } from './bad-request.js';
import { dateOf, jobIdOf, queryFromSearchParams, selectionFromBody } from './job-filter.js';
import { onlyKeys, optionalString, type Route, type RouteContext } from './route.js';

function notFound(id: string): never {
  throw new BadRequest(`no job with id ${id}`, 404);
}

const id = (context: RouteContext): string => jobIdOf(context.params.id ?? '');

async function jobOrNotFound(promise: Promise<unknown>, jobId: string): Promise<unknown> {
  const job = await promise;
  if (job === null) notFound(jobId);
  return { job };
}

/** Most dependents the workflow view lists (the count is always exact). */
export const MAX_LISTED_DEPENDENTS = 100;

/**
 * A job's place in a workflow: its dependencies (in `dependsOn` order; a deleted one is left out),
 * its dependents (at most {@link MAX_LISTED_DEPENDENTS}, with their number), and its flow's
 * progress (jobs of the flow by status, when it belongs to one).
 */
async function workflowOf(monque: DashboardMonque, jobId: string) {
  const job = await monque.getJob(jobId);
  if (!job) notFound(jobId);
  const dependsOn = job.dependsOn ?? [];
  const found = dependsOn.length > 0 ? (await monque.getJobs({ ids: dependsOn }, { limit: 1000 })).jobs : [];
  const byId = new Map(found.map((dependency) => [dependency._id.toHexString(), dependency]));
  const dependencies = dependsOn.flatMap((dependencyId) => byId.get(dependencyId.toHexString()) ?? []);
  const dependents = job.dependents
    ? (await monque.getJobs({ dependsOn: jobId }, { limit: MAX_LISTED_DEPENDENTS })).jobs
    : [];
  let flow: { rootId: string; total: number; completed: number; byStatus: Record<string, number> } | null = null;
  if (job.flowId) {
    const { total } = await monque.getStats({ flowId: job.flowId });
    const byStatus = Object.fromEntries(JOB_STATUSES.map((status) => [status, total[status]]));
    flow = {
      rootId: job.flowId.toHexString(),
      total: JOB_STATUSES.reduce((sum, status) => sum + total[status], 0),
      completed: total.completed,
      byStatus,
    };
  }
  return {
    dependencies,
    dependencyCount: dependsOn.length,
    dependents,
    dependentCount: job.dependents ?? 0,
    flow,
  };
}

/** The routes under `jobs`. */
export const JOB_ROUTES: readonly Route[] = [
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
      if (page.cursor !== undefined || page.limit !== undefined || page.sort !== undefined) {
        throw new BadRequest('count takes no cursor, limit or sort');
      }
      return { count: await monque.countJobs(query) };
    },
  },
  {
    method: 'GET',
    path: ['jobs', ':id'],
    handle: async (context) => jobOrNotFound(context.monque.getJob(id(context)), id(context)),
  },
  {
    method: 'GET',
    path: ['jobs', ':id', 'workflow'],
    handle: async (context) => workflowOf(context.monque, id(context)),
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
    handle: async ({ monque, body }) => monque.retryJobs(selectionFromBody(body, 'retry')),
  },
  {
    method: 'POST',
    path: ['jobs', 'cancel'],
    handle: async ({ monque, body }) => {
      const query = selectionFromBody(body, 'cancel', ['reason']);
      const reason = optionalString(body, 'reason');
      return monque.cancelJobs(query, reason ? { reason } : undefined);
    },
  },
  {
    method: 'POST',
    path: ['jobs', 'delete'],
    handle: async ({ monque, body }) => monque.deleteJobs(selectionFromBody(body, 'delete')),
  },
];
