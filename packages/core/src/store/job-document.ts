/**
 * A job as stored: the public {@link Job} plus the engine's own fields, and the helpers that
 * translate between the two.
 *
 * Engine fields:
 * - `activeKey`: exists only while a deduplicated job is `waiting`/`pending`/`processing` (`u:<uniqueKey>`
 *   for one-off jobs, `s:<uniqueKey>` for schedules). The unique index on `{name, activeKey}` is
 *   partial on `activeKey` existing, which every MongoDB version accepts (`$in` in a partial filter
 *   needs 6.0+). Any write that moves a job out of `pending`/`processing` removes it.
 * - `claimToken`: a fresh random string stamped on each claim. Outcome, progress and lock writes are
 *   fenced on it, so a run that lost its job can never overwrite the state of whoever holds it now.
 * - `expireAt`: when retention deletes the finished job (TTL index `monque_retention`).
 * - `enqueueToken`: a fresh random string stamped by each deduplicating enqueue (`onDuplicate:
 *   'replace'`, `debounce`) that created or changed the job, so such a write whose reply was lost is
 *   recognised when read back.
 * - `retryLimit`: the `maxRetries` in force where the job was last claimed (its worker's, else that
 *   instance's), stamped by the claim: a stale recovery by any instance decides by it, so the job
 *   follows its own worker's policy even where that worker is not registered. The job's own
 *   `maxRetries` still wins.
 * - `stallLimit`: the `maxStalls` of the instance where the job was last claimed, stamped by the
 *   claim like `retryLimit`: whichever instance recovers the job decides by it whether the
 *   recovery is a stall (no failure charged) or a failed attempt.
 * - `recoveredFrom`: the claim token a stale recovery took the job from, while that recovery left it
 *   `pending` (a claim removes it): a success of that run written late still completes the job.
 * - `workerDeadLetter`: the `deadLetter` of the job's worker where it was last claimed (absent when
 *   that worker has none), stamped by the claim like `retryLimit`: whichever instance writes its
 *   failure for good (a stale recovery elsewhere, say) owes that dead letter. The job's own
 *   `deadLetter` still wins.
 * - `requeuedBy`: the claim tokens of the last runs (at most 8, latest first) whose outcome made the
 *   job `pending` again (a retry, a recurring job's next time): a retry of such a write whose reply
 *   was lost recognises it as applied even after the job was claimed, and requeued, again. (Stored
 *   as one string before 2026-12; still read.)
 * - `trace`: the W3C trace context of the enqueue, so a run's span links to it.
 * - `limitSlot`, `groupSlot`: exist only while a job of a name with `globalConcurrency` (or of a
 *   group with `groupConcurrency`) is `processing`: which of the name's (the group's) slots it
 *   holds. The unique indexes `monque_limit_slot` `{name, limitSlot}` and `monque_group_slot`
 *   `{name, group, groupSlot}`, partial on the slot existing, let no two running jobs hold one
 *   slot, whatever instances do; every write that moves a job out of `processing` removes them,
 *   so a slot lives exactly as long as the run's claim (see the Flow control guide).
 * - Workflows (see `store/dependency-store.ts`): `settledDependencies` (the dependencies a `waiting`
 *   job has been told of: completed ones, and with `onDependencyFailure: 'run'` failed ones too);
 *   `notifyDependents` (set on a job once some job depends on it; cleared once its dependents were
 *   told how it finished); `linkPending` (a dependent whose dependencies may not know of it yet);
 *   `deadLetterDue` (a failed job whose dead-letter job may not be written yet: its name);
 *   `deleting` (a job with dependents being deleted: its dependents are told first). A job of a
 *   `flow()` not yet made live has the status {@link STAGED}, which no public query selects.
 *
 * Monque never constructs BSON values with its own copy of the driver (ids come from the driver of
 * the `Db` it was given, claim tokens are strings): Mongoose bundles its own driver, and BSON values
 * of one major version are rejected by another.
 */
import type { ObjectId } from 'mongodb';
import type { Job, JobStatusType } from '../job.js';
import { JobStatus } from '../job.js';

/** A job as stored, with the engine's own fields. */
export interface JobDocument<T = unknown> extends Job<T> {
  activeKey?: string;
  claimToken?: string | null;
  expireAt?: Date;
  enqueueToken?: string;
  trace?: TraceCarrier;
  retryLimit?: number;
  stallLimit?: number;
  recoveredFrom?: string;
  workerDeadLetter?: string;
  requeuedBy?: string[] | string;
  limitSlot?: number;
  groupSlot?: number;
  settledDependencies?: ObjectId[];
  notifyDependents?: true;
  linkPending?: true;
  deadLetterDue?: string;
  deleting?: true;
}

/**
 * The status of the jobs of a `flow()` while they are being written: not claimable, and not
 * selected by any public query (they are not in `JOB_STATUSES`). Stored as the status; never public.
 */
export const STAGED = 'staged' as unknown as JobStatusType;

/** W3C trace context headers carried from an enqueue to the job's runs. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

/** The statuses in which a job holds its unique key. */
export const ACTIVE_STATUSES: readonly JobStatusType[] = [JobStatus.WAITING, JobStatus.PENDING, JobStatus.PROCESSING];

/** The statuses of a finished job. */
export const FINISHED_STATUSES: readonly JobStatusType[] = [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED];

/** The `activeKey` of a one-off job (`'u'`) or a schedule (`'s'`) with `uniqueKey`. */
export function activeKeyOf(kind: 'u' | 's', uniqueKey: string | undefined): string {
  return `${kind}:${uniqueKey ?? ''}`;
}

/** The `$unset` that removes `fields` (MongoDB ignores the values of an `$unset`). */
export function unsetOf(...fields: readonly (keyof JobDocument)[]): Record<string, ''> {
  return Object.fromEntries(fields.map((field) => [field, '']));
}

/** Whether `error` is MongoDB's duplicate-key error (E11000). */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

/** Strips the engine's own fields. */
export function toPublicJob<T>(doc: JobDocument<T>): Job<T> {
  const {
    activeKey: _activeKey,
    claimToken: _claimToken,
    expireAt: _expireAt,
    enqueueToken: _enqueueToken,
    trace: _trace,
    retryLimit: _retryLimit,
    stallLimit: _stallLimit,
    recoveredFrom: _recoveredFrom,
    workerDeadLetter: _workerDeadLetter,
    requeuedBy: _requeuedBy,
    limitSlot: _limitSlot,
    groupSlot: _groupSlot,
    settledDependencies: _settled,
    notifyDependents: _notify,
    linkPending: _link,
    deadLetterDue: _deadLetter,
    deleting: _deleting,
    ...job
  } = doc;
  return job;
}
