/**
 * `cancelJobs`: every job a query selects made `cancelled` when it is not running, and asked to
 * stop when it is. Pending and running jobs are written by separate commands, and a job may move
 * between the two states while the call runs; see {@link cancelMatching} for how none slips through.
 */
import type { Collection, UpdateFilter } from 'mongodb';
import { JobStatus, type JobStatusType } from '../job.js';
import type { JobDocument } from './job-document.js';
import { type CheckedQuery, queryFilter, selectStatuses } from './job-query.js';

/** The cancellation of a job not running (one with dependents to tell keeps no expiry yet). */
export type CancelUpdate = (hasDependents: boolean) => UpdateFilter<JobDocument>;

/**
 * Cancels every job `query` selects: the `waiting`/`pending` ones become `cancelled` (one
 * `bulkWrite`), then the `processing` ones not yet asked to stop get `cancelRequestedAt` (one
 * `updateMany`, after the first, so a job claimed in between is caught), and, with a reason, one
 * `updateMany` updates the reason of those already asked.
 *
 * A run that ends between the two (its job `pending` again: a retry, a recurring job's next time,
 * a give-back) is missed by both, so the pending jobs are cancelled once more (one more
 * `bulkWrite`). A job asked to stop never becomes `pending` again (its outcome write is fenced on
 * no cancellation requested), so this catches every job that changed state once during the call;
 * only one made pending and then claimed again, both within one round trip (a retry due at once),
 * could still slip through. Indexes: see `job-query.ts`.
 *
 * @param tally - counts, as the call goes, how many jobs became `cancelled` plus how many running
 *   jobs were asked to stop (so a caller cut off half-way knows whether anything changed)
 */
export async function cancelMatching(
  collection: Collection<JobDocument>,
  query: CheckedQuery,
  reason: string | undefined,
  now: Date,
  tally: { count: number },
  cancelUpdate: CancelUpdate,
): Promise<void> {
  const statuses = selectStatuses(query, [JobStatus.WAITING, JobStatus.PENDING, JobStatus.PROCESSING]);
  const notRunning = statuses.filter((status) => status !== JobStatus.PROCESSING);
  tally.count += await cancelNotRunning(collection, query, notRunning, cancelUpdate);
  if (!statuses.includes(JobStatus.PROCESSING)) return;
  tally.count += await askToStop(collection, query, reason, now);
  tally.count += await cancelNotRunning(collection, query, notRunning, cancelUpdate);
}

/** Cancels the jobs `query` selects in `statuses` (none running). @returns how many */
async function cancelNotRunning(
  collection: Collection<JobDocument>,
  query: CheckedQuery,
  statuses: readonly JobStatusType[],
  cancelUpdate: CancelUpdate,
): Promise<number> {
  if (statuses.length === 0) return 0;
  // Jobs with dependents keep no expiry until they are told (one command, two updates).
  const result = await collection.bulkWrite(
    [false, true].map((hasDependents) => ({
      updateMany: {
        filter: { $and: [queryFilter(query, statuses), { notifyDependents: { $exists: hasDependents } }] },
        update: cancelUpdate(hasDependents),
      },
    })),
    { ordered: true },
  );
  return result.modifiedCount;
}

/**
 * Asks the running jobs `query` selects to stop; with `reason`, the reason of those asked before
 * is updated too. @returns how many were asked now
 */
async function askToStop(
  collection: Collection<JobDocument>,
  query: CheckedQuery,
  reason: string | undefined,
  now: Date,
): Promise<number> {
  const running = queryFilter(query, [JobStatus.PROCESSING]);
  const withReason = reason === undefined ? {} : { cancelReason: reason };
  const asked = await collection.updateMany(
    { $and: [running, { cancelRequestedAt: { $exists: false } }] },
    { $set: { cancelRequestedAt: now, ...withReason } },
  );
  if (reason !== undefined) {
    await collection.updateMany({ $and: [running, { cancelRequestedAt: { $exists: true } }] }, { $set: withReason });
  }
  return asked.modifiedCount;
}
