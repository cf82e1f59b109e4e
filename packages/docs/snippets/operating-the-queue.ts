/**
 * Operating the queue: inspecting, cancelling, retrying and deleting jobs, pausing, retention.
 */
import { type Job, JobStateError, Monque, type NameStats, type ThroughputBucket } from '@monque/core';
import type { Db } from 'mongodb';

/** A scheduler that indexes a payload field operators search by. */
export function operatedMonque(db: Db, collectionName = 'monque_jobs'): Monque {
  // #region options
  const monque = new Monque(db, {
    collectionName,
    // Each path gets an index { 'data.<path>': 1, _id: -1 }, created with Monque's own.
    dataIndexes: ['customer.id'],
    // Finished jobs are deleted this long after they finished (these are the defaults).
    retention: {
      completed: 24 * 60 * 60 * 1000, // 1 day
      failed: 7 * 24 * 60 * 60 * 1000, // 7 days
      cancelled: 7 * 24 * 60 * 60 * 1000, // 7 days
      sweepInterval: 60 * 1000, // each instance deletes expired jobs every minute, 1000 at most
    },
  });
  // #endregion options
  return monque;
}

/** Every failed job of one customer, page by page. */
export async function failedJobsOf(monque: Monque, customerId: number): Promise<Job[]> {
  // #region pages
  const jobs: Job[] = [];
  let cursor: string | undefined;
  do {
    const page = await monque.getJobs(
      { status: 'failed', data: { 'customer.id': customerId } },
      { limit: 100, ...(cursor ? { cursor } : {}) },
    );
    jobs.push(...page.jobs); // newest first
    cursor = page.nextCursor ?? undefined; // null on the last page
  } while (cursor);
  // #endregion pages
  return jobs;
}

/** A one-line summary per job name. */
export async function queueSummary(monque: Monque): Promise<string[]> {
  // #region stats
  const { total, byName } = await monque.getStats();
  const lines = [`${total.due} due, ${total.processing} running, ${total.failed} failed`];
  for (const [name, stats] of Object.entries(byName) as [string, NameStats][]) {
    const waiting = stats.oldestDueAt ? `, oldest due since ${stats.oldestDueAt.toISOString()}` : '';
    lines.push(`${name}: ${stats.pending} pending (${stats.due} due)${waiting}`);
  }
  // #endregion stats
  return lines;
}

/** A handler that stops when its job is cancelled. */
export function cancellableWorker(monque: Monque): void {
  // #region cancellable
  monque.worker<{ url: string }>('fetch-report', async (job, { signal }) => {
    // The signal aborts within one heartbeatInterval of cancelJob(), on whichever instance runs it.
    const response = await fetch(job.data.url, { signal });
    signal.throwIfAborted(); // its reason is a JobCancelledError: the job ends `cancelled`
    return { bytes: (await response.arrayBuffer()).byteLength };
  });
  // #endregion cancellable
}

/** Cancels a job, whatever state it is in. */
export async function cancelOne(monque: Monque, id: string): Promise<string> {
  // #region cancel
  try {
    const job = await monque.cancelJob(id, { reason: 'requested by support' });
    if (!job) return 'no such job';
    // `cancelled` at once when it was pending; still `processing` (stopping) when it was running.
    return job.status === 'cancelled' ? 'cancelled' : 'asked to stop';
  } catch (error) {
    // A completed or failed job cannot be cancelled; nothing was changed.
    if (error instanceof JobStateError) return `it is ${error.status}`;
    throw error;
  }
  // #endregion cancel
}

/** Retries a job; its unique key may be held by a newer job. */
export async function retryOne(monque: Monque, id: string): Promise<Job | null> {
  // #region retry
  try {
    return await monque.retryJob(id); // failed/cancelled → pending, due now, failCount 0
  } catch (error) {
    // Not failed/cancelled, or another pending/processing job holds its uniqueKey.
    if (error instanceof JobStateError) return null;
    throw error;
  }
  // #endregion retry
}

/** What an operator does after an outage of the mail provider. */
export async function afterMailOutage(monque: Monque, since: Date): Promise<number> {
  // #region bulk
  // Each call takes a few commands whatever the number of jobs, and returns how many it changed.
  const { count } = await monque.retryJobs({ name: 'send-email', status: 'failed', createdAfter: since });
  await monque.cancelJobs({ name: 'send-newsletter' }, { reason: 'campaign stopped' });
  await monque.deleteJobs({ status: 'completed', finishedBefore: since });
  // An empty query selects every job: deleteJobs({}) empties the queue (running jobs excepted).
  // #endregion bulk
  return count;
}

/** Pausing one name around a maintenance window. */
export async function maintenanceWindow(monque: Monque, work: () => Promise<void>): Promise<void> {
  // #region pause
  await monque.pause('sync-crm'); // every instance stops claiming it within one pollInterval
  try {
    await work(); // running sync-crm jobs finish; no new one starts
  } finally {
    await monque.resume('sync-crm');
  }
  console.log(await monque.getPaused()); // [] — or 'all' after monque.pause()
  // #endregion pause
}

/** Completed and failed runs over the last hour. */
export async function lastHour(monque: Monque): Promise<ThroughputBucket[]> {
  // #region throughput
  const minutes = await monque.getThroughput({ minutes: 60, name: 'send-email' });
  const failed = minutes.reduce((sum, minute) => sum + minute.failed, 0);
  console.log(`send-email: ${failed} failed runs in the last hour`);
  // #endregion throughput
  return minutes;
}

/** Listens to what operators do. */
export function auditLog(monque: Monque): void {
  // #region events
  monque.on('job:cancelled', ({ job }) => console.log(`cancelled ${job.name} ${job._id.toHexString()}`));
  monque.on('job:retried', ({ job }) => console.log(`retried ${job.name} ${job._id.toHexString()}`));
  monque.on('jobs:deleted', ({ query, count }) => console.log(`deleted ${count} jobs`, query));
  monque.on('queue:paused', ({ name }) => console.log(`paused ${name ?? 'every job name'}`));
  monque.on('queue:resumed', ({ name }) => console.log(`resumed ${name ?? 'every job name'}`));
  // #endregion events
}
