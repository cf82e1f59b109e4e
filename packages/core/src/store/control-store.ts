/**
 * Operator writes to jobs: cancel, retry, reschedule and delete, one job or every job a query
 * selects. Every write is guarded by the status it expects, so a change made concurrently (a claim,
 * a finished run, another operator) is never overwritten: a guarded write that finds nothing reads
 * the job again and decides anew.
 *
 * Unique keys: a job holds `activeKey` only while `pending`/`processing`. Cancelling removes it;
 * retrying sets it back, which the partial unique index `monque_unique_active_key` refuses (E11000)
 * when another active job holds the key.
 */
import type { AnyBulkWriteOperation, Collection, Filter, ObjectId, UpdateFilter } from 'mongodb';
import { OutcomeUnknownError } from '../database-errors.js';
import { JobStateError } from '../errors/job-state-error.js';
import { JOB_STATUSES, JobStatus, type JobStatusType } from '../job.js';
import type { ResolvedRetention } from '../options.js';
import { cancelMatching } from './bulk-cancel.js';
import { activeKeyOf, isDuplicateKeyError, type JobDocument, STAGED, unsetOf } from './job-document.js';
import { type CheckedQuery, queryFilter, selectStatuses } from './job-query.js';

/** How often a single-job operation reads and writes again after losing a race before giving up. */
const MAX_ATTEMPTS = 5;
/** The statuses `retryJob` accepts. */
const RETRYABLE: readonly JobStatusType[] = [JobStatus.FAILED, JobStatus.CANCELLED];
/** The latest time a JavaScript `Date` can hold. */
const MAX_DATE_MS = 8.64e15;

/** What `cancel` did: the job as it is now, and whether this call made it `cancelled`. */
export interface CancelResult {
  job: JobDocument | null;
  cancelled: boolean;
}

/** The key a job takes back when it becomes active again: `s:` for recurring, `u:` for one-off. */
export function activeKeyFor(job: Pick<JobDocument, 'uniqueKey' | 'repeatInterval'>): string | undefined {
  if (job.repeatInterval !== undefined) return activeKeyOf('s', job.uniqueKey);
  return job.uniqueKey === undefined ? undefined : activeKeyOf('u', job.uniqueKey);
}

/**
 * The retry of a job: `pending`, due now; a job with dependencies `waiting` instead, to be linked
 * again (`linkPending`: it runs once they have all completed, which may be at once).
 */
function retryUpdate(activeKey: string | undefined, now: Date, dependent = false): UpdateFilter<JobDocument> {
  return {
    $set: {
      status: dependent ? JobStatus.WAITING : JobStatus.PENDING,
      nextRunAt: now,
      failCount: 0,
      lockedAt: null,
      updatedAt: now,
      ...(activeKey === undefined ? {} : { activeKey }),
      ...(dependent ? { linkPending: true as const } : {}),
    },
    $unset: unsetOf(
      'finishedAt',
      'expireAt',
      'cancelRequestedAt',
      'cancelReason',
      'result',
      'progress',
      'owner',
      'claimToken',
      'stalls',
    ),
  };
}

/**
 * The error of a call of several commands that failed after earlier ones had changed `changed`
 * jobs: whatever the failure says (even that its own command was never sent), the call's outcome
 * is partly applied, so its caller must hear that it may have been applied.
 */
function afterChanges(what: string, changed: number, error: unknown): unknown {
  return changed > 0 ? new OutcomeUnknownError(`${what} had changed ${changed} jobs when it failed`, error) : error;
}

function lostRace(id: ObjectId, status: JobStatusType): JobStateError {
  return new JobStateError(id, status, `its status kept changing during ${MAX_ATTEMPTS} attempts; nothing was changed`);
}

/**
 * The update that makes a job `cancelled` at `now` (with `reason` when given): finished, unlocked,
 * holding no unique key, deleted by retention when its time for cancelled jobs has passed.
 */
export function cancelledUpdate(
  retention: ResolvedRetention | false,
  reason: string | undefined,
  now: Date,
): UpdateFilter<JobDocument> {
  const keep = retention === false ? Number.POSITIVE_INFINITY : retention.cancelled;
  const expireAt = now.getTime() + keep;
  return {
    $set: {
      status: JobStatus.CANCELLED,
      finishedAt: now,
      updatedAt: now,
      lockedAt: null,
      ...(reason === undefined ? {} : { cancelReason: reason }),
      ...(Number.isFinite(expireAt) && expireAt <= MAX_DATE_MS ? { expireAt: new Date(expireAt) } : {}),
    },
    $unset: unsetOf('activeKey'),
  };
}

/** Writes operator decisions to the jobs collection. */
export class ControlStore {
  constructor(
    private readonly collection: Collection<JobDocument>,
    private readonly retention: ResolvedRetention | false,
  ) {}

  /** The cancellation of a job not running; one with dependents to tell keeps no expiry yet. */
  private cancelUpdate(reason: string | undefined, now: Date, hasDependents = false): UpdateFilter<JobDocument> {
    return cancelledUpdate(hasDependents ? false : this.retention, reason, now);
  }

  /** Job `id`, unless it is a staged job of a flow not yet live (which no operation sees). */
  private findVisible(id: ObjectId): Promise<JobDocument | null> {
    return this.collection.findOne({ _id: id, status: { $ne: STAGED } });
  }

  /**
   * Cancels job `id`: `pending` or `waiting` → `cancelled` (guarded by the status read, and by
   * whether it has dependents: then it keeps no expiry until they are told); `processing` →
   * `cancelRequestedAt` set (an earlier request is kept) and `cancelReason`, for the engine to stop
   * the run; `cancelled` → unchanged. A read by `_id`, then one `findAndModify` (index `_id`).
   *
   * @throws JobStateError for a `completed` or `failed` job
   */
  async cancel(id: ObjectId, reason: string | undefined, now: Date): Promise<CancelResult> {
    let status: JobStatusType = JobStatus.PENDING;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const doc = await this.findVisible(id);
      if (!doc) return { job: null, cancelled: false };
      status = doc.status;
      if (status === JobStatus.CANCELLED) return { job: doc, cancelled: false };
      if (status === JobStatus.COMPLETED || status === JobStatus.FAILED) {
        throw new JobStateError(id, status, 'a finished job cannot be cancelled (retry or delete it instead)');
      }
      if (status === JobStatus.PENDING || status === JobStatus.WAITING) {
        const hasDependents = doc.notifyDependents === true;
        const cancelled = await this.collection.findOneAndUpdate(
          { _id: id, status, notifyDependents: { $exists: hasDependents } },
          this.cancelUpdate(reason, now, hasDependents),
          { returnDocument: 'after' },
        );
        if (cancelled) return { job: cancelled, cancelled: true };
        continue;
      }
      const requested = await this.requestCancel(doc, reason, now);
      if (requested) return { job: requested, cancelled: false };
    }
    throw lostRace(id, status);
  }

  /** Asks the engine to stop a running job; `null` when it is no longer `processing`. */
  private requestCancel(doc: JobDocument, reason: string | undefined, now: Date): Promise<JobDocument | null> {
    const asked = doc.cancelRequestedAt !== undefined;
    if (asked && reason === undefined) return Promise.resolve(doc);
    const set: Partial<JobDocument> = asked ? {} : { cancelRequestedAt: now };
    if (reason !== undefined) set.cancelReason = reason;
    return this.collection.findOneAndUpdate(
      { _id: doc._id, status: JobStatus.PROCESSING, cancelRequestedAt: { $exists: asked } },
      { $set: set },
      { returnDocument: 'after' },
    );
  }

  /**
   * Makes a `failed`/`cancelled` job `pending`, due `now`, `failCount` 0, holding its unique key
   * again. A read by `_id`, then one `findAndModify` guarded by the status read. A failed job that
   * still owes its dead letter (`deadLetterDue`) is first given to `owed`, which writes it.
   *
   * @returns the job as it is now; `null` for an unknown id
   * @throws JobStateError for another status, or when another active job holds its unique key
   *   (then one more read finds that job, to name it)
   */
  async retry(id: ObjectId, now: Date, owed?: (failed: JobDocument) => Promise<void>): Promise<JobDocument | null> {
    let status: JobStatusType = JobStatus.FAILED;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const doc = await this.findVisible(id);
      if (!doc) return null;
      status = doc.status;
      if (!RETRYABLE.includes(status)) {
        throw new JobStateError(id, status, 'only failed or cancelled jobs can be retried');
      }
      if (owed && doc.status === JobStatus.FAILED && doc.deadLetterDue !== undefined) await owed(doc);
      const activeKey = activeKeyFor(doc);
      try {
        const dependent = doc.dependsOn !== undefined;
        const retried = await this.collection.findOneAndUpdate(
          { _id: id, status },
          retryUpdate(activeKey, now, dependent),
          { returnDocument: 'after' },
        );
        if (retried) return retried;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        const holder = await this.collection.findOne({ name: doc.name, activeKey });
        const held = holder ? `active job ${holder._id.toHexString()} (${holder.status})` : 'another active job';
        throw new JobStateError(id, status, `its unique key '${doc.uniqueKey ?? ''}' is held by ${held}`);
      }
    }
    throw lostRace(id, status);
  }

  /**
   * Gives a `pending` job a new due time: one `findAndModify` guarded by status; when it finds
   * nothing, a read tells an unknown id from another status.
   *
   * @throws JobStateError when the job is not `pending`
   */
  async reschedule(id: ObjectId, runAt: Date, now: Date): Promise<JobDocument | null> {
    let status: JobStatusType = JobStatus.PENDING;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const moved = await this.collection.findOneAndUpdate(
        { _id: id, status: JobStatus.PENDING },
        { $set: { nextRunAt: runAt, updatedAt: now } },
        { returnDocument: 'after' },
      );
      if (moved) return moved;
      const doc = await this.findVisible(id);
      if (!doc) return null;
      status = doc.status;
      if (status !== JobStatus.PENDING) {
        throw new JobStateError(id, status, 'only pending jobs can be rescheduled');
      }
    }
    throw lostRace(id, status);
  }

  /**
   * Deletes a job that is not `processing` and has no dependents to tell: one `delete` guarded by
   * both; when it deletes nothing, a read tells an unknown id (`false`) from a running job, and
   * from a job with dependents, which is returned (its deletion tells them first: see
   * `DependencyStore.beginDelete`).
   *
   * @throws JobStateError for a `processing` job
   */
  async delete(id: ObjectId): Promise<boolean | JobDocument> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const { deletedCount } = await this.collection.deleteOne({
        _id: id,
        status: { $nin: [JobStatus.PROCESSING, STAGED] },
        notifyDependents: { $exists: false },
      });
      if (deletedCount > 0) return true;
      const doc = await this.findVisible(id);
      if (!doc) return false;
      if (doc.status === JobStatus.PROCESSING) {
        throw new JobStateError(id, doc.status, 'a running job cannot be deleted (cancel it first)');
      }
      if (doc.notifyDependents) return doc;
    }
    throw lostRace(id, JobStatus.PROCESSING);
  }

  /** `cancel` for every job `query` selects: see {@link cancelMatching}. */
  async cancelMany(query: CheckedQuery, reason: string | undefined, now: Date): Promise<number> {
    const tally = { count: 0 };
    try {
      await cancelMatching(this.collection, query, reason, now, tally, (hasDependents) =>
        this.cancelUpdate(reason, now, hasDependents),
      );
    } catch (error) {
      throw afterChanges('cancelJobs', tally.count, error);
    }
    return tally.count;
  }

  /**
   * `delete` for every job `query` selects that is not `processing` and has no dependents to tell:
   * one `deleteMany`; then one `find` of those with dependents, which are returned (their deletion
   * tells their dependents first: see `DependencyStore.beginDelete`). Indexes: see `job-query.ts`.
   */
  async deleteMany(query: CheckedQuery): Promise<{ deleted: number; withDependents: JobDocument[] }> {
    const statuses = selectStatuses(
      query,
      JOB_STATUSES.filter((status) => status !== JobStatus.PROCESSING),
    );
    if (statuses.length === 0) return { deleted: 0, withDependents: [] };
    const filter = queryFilter(query, statuses);
    const { deletedCount } = await this.collection.deleteMany({
      $and: [filter, { notifyDependents: { $exists: false } }],
    });
    const withDependents = await this.collection
      .find({ $and: [filter, { notifyDependents: true }] }, { batchSize: 10_000 })
      .toArray();
    return { deleted: deletedCount, withDependents };
  }

  /**
   * `retry` for every `failed`/`cancelled` job `query` selects. Jobs without a unique key: one
   * `updateMany`. Jobs with one: one `find` of them (newest first), one `find` of the keys already
   * held (index `monque_unique_active_key`), then one unordered `bulkWrite` of guarded updates
   * for the newest job of each key nobody holds. Should another job take a key in between, the
   * server refuses that update (E11000; some servers then refuse the whole batch): what was
   * written is read back and the rest is tried once more, so the bound stays a few commands.
   */
  async retryMany(query: CheckedQuery, now: Date): Promise<number> {
    const statuses = selectStatuses(query, RETRYABLE);
    if (statuses.length === 0) return 0;
    const base = queryFilter(query, statuses);
    const unkeyed = { $and: [base, { uniqueKey: { $exists: false } }, { repeatInterval: { $exists: false } }] };
    const plain = await this.collection.bulkWrite(
      [false, true].map((dependent) => ({
        updateMany: {
          filter: { $and: [unkeyed, { dependsOn: { $exists: dependent } }] },
          update: retryUpdate(undefined, now, dependent),
        },
      })),
      { ordered: true },
    );
    try {
      return await this.retryKeyed(base, now, plain.modifiedCount);
    } catch (error) {
      throw afterChanges('retryJobs', plain.modifiedCount, error);
    }
  }

  /** The keyed part of {@link retryMany}, after `retried` jobs without a key were retried. */
  private async retryKeyed(base: Filter<JobDocument>, now: Date, retried: number): Promise<number> {
    let count = retried;
    let remaining = await this.collection
      .find(
        { $and: [base, { $or: [{ uniqueKey: { $exists: true } }, { repeatInterval: { $exists: true } }] }] },
        { projection: { _id: 1, name: 1, uniqueKey: 1, repeatInterval: 1, dependsOn: 1 }, batchSize: 10_000 },
      )
      .sort({ _id: -1 })
      .toArray();
    for (let round = 0; round < 2 && remaining.length > 0; round += 1) {
      const chosen = await this.newestWithFreeKey(remaining);
      if (chosen.length === 0) break;
      const operations: AnyBulkWriteOperation<JobDocument>[] = chosen.map((doc) => ({
        updateOne: {
          filter: { _id: doc._id, status: { $in: [...RETRYABLE] } },
          update: retryUpdate(activeKeyFor(doc), now, doc.dependsOn !== undefined),
        },
      }));
      try {
        count += (await this.collection.bulkWrite(operations, { ordered: false })).modifiedCount;
        break;
      } catch (error) {
        if (!isDuplicateKeyError(error) && !hasDuplicateKeyWriteError(error)) throw error;
        const written = await this.collection
          .find({
            _id: { $in: chosen.map((doc) => doc._id) },
            status: { $in: [JobStatus.PENDING, JobStatus.WAITING] },
            updatedAt: now,
          })
          .project<{ _id: ObjectId }>({ _id: 1 })
          .toArray();
        count += written.length;
        const done = new Set(written.map((doc) => doc._id.toHexString()));
        remaining = chosen.filter((doc) => !done.has(doc._id.toHexString()));
      }
    }
    return count;
  }

  /** Of `docs` (newest first), the newest of each key that no active job holds now. */
  private async newestWithFreeKey(docs: readonly JobDocument[]): Promise<JobDocument[]> {
    const byKey = new Map<string, JobDocument>();
    for (const doc of docs) {
      const key = `${doc.name}\0${activeKeyFor(doc)}`;
      if (!byKey.has(key)) byKey.set(key, doc);
    }
    const candidates = [...byKey.values()];
    const heldFilter: Filter<JobDocument> = {
      name: { $in: [...new Set(candidates.map((doc) => doc.name))] },
      activeKey: { $in: [...new Set(candidates.map((doc) => activeKeyFor(doc) as string))] },
    };
    const held = await this.collection
      .find(heldFilter, { batchSize: 10_000 })
      .project<{ name: string; activeKey: string }>({ name: 1, activeKey: 1 })
      .toArray();
    const heldKeys = new Set(held.map((doc) => `${doc.name}\0${doc.activeKey}`));
    return candidates.filter((doc) => !heldKeys.has(`${doc.name}\0${activeKeyFor(doc)}`));
  }
}

/** A `MongoBulkWriteError` whose write errors include a duplicate key (MongoDB's unordered batches). */
function hasDuplicateKeyWriteError(error: unknown): boolean {
  const writeErrors = (error as { writeErrors?: unknown } | null)?.writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
  return list.some((entry) => isDuplicateKeyError(entry));
}
