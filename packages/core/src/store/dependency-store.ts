/**
 * Dependencies between jobs, as stored. A dependent has `dependsOn` (its dependencies' ids, fixed)
 * and `settledDependencies` (those it has been told of, a set that only grows). A dependency on
 * which some job depends carries `notifyDependents`, set when the first dependent is linked and
 * cleared once the dependents have been told how it finished: that marker is what makes telling
 * them survive a crash (a sweep finds finished jobs still marked, see `findUntold`), and it is how
 * the instance completing a job knows, without a query, whether there is anyone to tell.
 *
 * Telling the dependents of finished jobs (one round of {@link DependencyStore.tellDependents}):
 * 1. one unordered `bulkWrite`, per finished job: a completed one is added to the
 *    `settledDependencies` of every dependent (`$addToSet`, so telling twice changes nothing); a
 *    failed, cancelled or deleted one is added to those of `waiting` dependents with
 *    `onDependencyFailure: 'run'` and cancels the other `waiting` ones (naming it);
 * 2. one `find` of the `waiting` dependents (and of those just cancelled);
 * 3. one ordered `bulkWrite`: two `updateMany`s that make `pending` every `waiting` dependent
 *    whose `settledDependencies` hold all of its `dependsOn` (due now, or at its later `runAt`),
 *    then the marker of each finished job cleared, unless it changed meanwhile (a retry), with the
 *    `expireAt` retention held back; a job being deleted is deleted now.
 * Dependents cancelled in a round that have dependents of their own are the next round's jobs.
 *
 * No dependent becomes `pending` before every dependency completed: `settledDependencies` only
 * ever holds jobs that reached `completed` (or, for `'run'`, ended), a completed job never leaves
 * that status, and the release is guarded by `status: 'waiting'`. Indexes: `monque_depends_on`
 * (`dependsOn`, multikey, partial), `monque_notify_dependents`, `monque_link_pending`.
 */
import type { AnyBulkWriteOperation, ClientSession, Collection, Filter, ObjectId, UpdateFilter } from 'mongodb';
import { JobStatus, type JobStatusType } from '../job.js';
import { FINISHED_STATUSES, type JobDocument, unsetOf } from './job-document.js';

/** How a dependency ended, as its dependents are told. */
export type DependencyOutcome = 'completed' | 'failed' | 'cancelled' | 'deleted';

/** A finished job whose dependents are to be told. */
export interface SettledDependency {
  readonly id: ObjectId;
  readonly name: string;
  readonly outcome: DependencyOutcome;
  /**
   * The job as it finished (its `updatedAt`, status and finish time), when it still exists: its
   * marker is cleared only if it has not changed since. Absent for a job already gone.
   */
  readonly stored?: Pick<JobDocument, 'status' | 'updatedAt' | 'finishedAt' | 'deleting' | 'deadLetterDue'>;
}

/** What one round did. */
export interface TellResult {
  /** Dependents made `pending`, with their due times. */
  readonly released: readonly { id: ObjectId; name: string; nextRunAt: Date }[];
  /** Dependents this round cancelled. */
  readonly cancelled: readonly JobDocument[];
  /** Of those, the ones with dependents of their own (the next round). */
  readonly next: readonly SettledDependency[];
}

/** When retention deletes a job that reached `status` at `at` (`undefined`: never). */
export type ExpiryOf = (status: JobStatusType, at: Date) => Date | undefined;

/** How a finished job is told to its dependents. */
export function settledOf(doc: JobDocument): SettledDependency {
  const stored = {
    status: doc.status,
    updatedAt: doc.updatedAt,
    finishedAt: doc.finishedAt,
    deleting: doc.deleting,
    deadLetterDue: doc.deadLetterDue,
  };
  const outcome: DependencyOutcome =
    doc.status === JobStatus.COMPLETED
      ? 'completed'
      : doc.status === JobStatus.FAILED
        ? 'failed'
        : doc.deleting
          ? 'deleted'
          : 'cancelled';
  return { id: doc._id, name: doc.name, outcome, stored };
}

/** The `cancelReason` of a dependent cancelled because of `dependency` (whose name is `''` when unknown). */
export function dependencyCancelReason(dependency: Pick<SettledDependency, 'id' | 'name' | 'outcome'>): string {
  const what =
    dependency.outcome === 'failed' ? 'failed' : dependency.outcome === 'deleted' ? 'was deleted' : 'was cancelled';
  const name = dependency.name === '' ? '' : ` ('${dependency.name}')`;
  return `dependency ${dependency.id.toHexString()}${name} ${what}`;
}

function containsAll(settled: readonly ObjectId[] | undefined, wanted: readonly ObjectId[]): boolean {
  const have = new Set((settled ?? []).map((id) => id.toHexString()));
  return wanted.every((id) => have.has(id.toHexString()));
}

/** Reads and writes dependencies. */
export class DependencyStore {
  constructor(
    private readonly collection: Collection<JobDocument>,
    private readonly expiryOf: ExpiryOf,
  ) {}

  private cancelUpdate(reason: string, now: Date, keep: boolean): UpdateFilter<JobDocument> {
    const expireAt = keep ? undefined : this.expiryOf(JobStatus.CANCELLED, now);
    return {
      $set: {
        status: JobStatus.CANCELLED,
        cancelReason: reason,
        finishedAt: now,
        updatedAt: now,
        lockedAt: null,
        ...(expireAt ? { expireAt } : {}),
      },
      $unset: unsetOf('activeKey'),
    };
  }

  /** Step 1 of a round: the writes that tell each dependency's dependents. */
  private tellOperations(settled: readonly SettledDependency[], now: Date): AnyBulkWriteOperation<JobDocument>[] {
    const operations: AnyBulkWriteOperation<JobDocument>[] = [];
    for (const dependency of settled) {
      const settle = { $addToSet: { settledDependencies: dependency.id } } as UpdateFilter<JobDocument>;
      if (dependency.outcome === 'completed') {
        // Every dependent, whatever its status: a cancelled one retried later still knows.
        operations.push({ updateMany: { filter: { dependsOn: dependency.id }, update: settle } });
        continue;
      }
      const waiting = { dependsOn: dependency.id, status: JobStatus.WAITING } as Filter<JobDocument>;
      operations.push({ updateMany: { filter: { ...waiting, onDependencyFailure: 'run' }, update: settle } });
      const reason = dependencyCancelReason(dependency);
      // A dependent that already holds the dependency as completed (it was deleted after) stays.
      const cancellable = {
        ...waiting,
        onDependencyFailure: { $ne: 'run' },
        settledDependencies: { $ne: dependency.id },
      } as Filter<JobDocument>;
      // One with dependents of its own keeps no expiry until they are told in turn.
      for (const keep of [false, true]) {
        operations.push({
          updateMany: {
            filter: { ...cancellable, notifyDependents: { $exists: keep } },
            update: this.cancelUpdate(reason, now, keep),
          },
        });
      }
    }
    return operations;
  }

  /**
   * One round of telling the dependents of `settled` how they finished (the three steps of the file
   * comment: three commands, however many dependents). Safe to repeat.
   */
  async tellDependents(settled: readonly SettledDependency[], now: Date): Promise<TellResult> {
    if (settled.length === 0) return { released: [], cancelled: [], next: [] };
    await this.collection.bulkWrite(this.tellOperations(settled, now), { ordered: false });
    const ids = settled.map((dependency) => dependency.id);
    const dependents = await this.collection
      .find(
        {
          dependsOn: { $in: ids },
          $or: [{ status: JobStatus.WAITING }, { status: JobStatus.CANCELLED, updatedAt: now }],
        } as Filter<JobDocument>,
        { batchSize: 10_000 },
      )
      .toArray();
    const ready = dependents.filter(
      (doc) => doc.status === JobStatus.WAITING && containsAll(doc.settledDependencies, doc.dependsOn ?? []),
    );
    const cancelled = dependents.filter((doc) => doc.status === JobStatus.CANCELLED);
    await this.releaseAndClear(ready, settled, now);
    return {
      released: ready.map((doc) => ({
        id: doc._id,
        name: doc.name,
        nextRunAt: doc.nextRunAt.getTime() > now.getTime() ? doc.nextRunAt : now,
      })),
      cancelled,
      next: cancelled.filter((doc) => doc.notifyDependents).map(settledOf),
    };
  }

  /**
   * Steps 3 and 4 in one ordered `bulkWrite`: `waiting` → `pending` (due now, or at a later
   * `runAt`), then each told job's marker cleared unless it changed since it finished, with the
   * expiry retention held back (unless a dead letter is still due); a job being deleted is deleted.
   */
  private async releaseAndClear(
    ready: readonly JobDocument[],
    settled: readonly SettledDependency[],
    now: Date,
  ): Promise<void> {
    const operations: AnyBulkWriteOperation<JobDocument>[] = [];
    if (ready.length > 0) {
      const waiting = { _id: { $in: ready.map((doc) => doc._id) }, status: JobStatus.WAITING };
      operations.push(
        {
          updateMany: {
            filter: { ...waiting, nextRunAt: { $lte: now } },
            update: { $set: { status: JobStatus.PENDING, nextRunAt: now, updatedAt: now } },
          },
        },
        { updateMany: { filter: waiting, update: { $set: { status: JobStatus.PENDING, updatedAt: now } } } },
      );
    }
    for (const { id, stored } of settled) {
      if (!stored) continue;
      if (stored.deleting) {
        operations.push({ deleteOne: { filter: { _id: id, deleting: true } } });
        continue;
      }
      const expireAt = this.expiryOf(stored.status, stored.finishedAt ?? stored.updatedAt);
      const told = { _id: id, notifyDependents: true, updatedAt: stored.updatedAt } as Filter<JobDocument>;
      const unset = { $unset: unsetOf('notifyDependents') };
      const withExpiry = expireAt ? { ...unset, $set: { expireAt } } : unset;
      if (!stored.deadLetterDue) {
        // No dead letter was owed when it finished, and none can be owed since at this version.
        operations.push({ updateOne: { filter: told, update: withExpiry } });
        continue;
      }
      // Whichever of the two markers is cleared last starts retention.
      operations.push(
        { updateOne: { filter: { ...told, deadLetterDue: { $exists: false } }, update: withExpiry } },
        { updateOne: { filter: { ...told, deadLetterDue: { $exists: true } }, update: unset } },
      );
    }
    if (operations.length > 0) await this.collection.bulkWrite(operations, { ordered: true });
  }

  /**
   * Marks `ids` as having dependents (one `updateMany`; idempotent): the instance that finishes one
   * of them then tells its dependents, and its outcome write, fenced on the marker it saw, notices
   * a dependent linked during its run.
   */
  async markDependencies(ids: readonly ObjectId[], session?: ClientSession): Promise<void> {
    if (ids.length === 0) return;
    await this.collection.updateMany({ _id: { $in: [...ids] } }, { $set: { notifyDependents: true } }, { session });
  }

  /** The stored jobs among `ids` (one `find` by `_id`). */
  findJobs(ids: readonly ObjectId[], session?: ClientSession): Promise<JobDocument[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.collection.find({ _id: { $in: [...ids] } }, { batchSize: 10_000, session }).toArray();
  }

  /** Ends the linking of `ids` (one `updateMany`). */
  async linked(ids: readonly ObjectId[]): Promise<void> {
    if (ids.length === 0) return;
    await this.collection.updateMany({ _id: { $in: [...ids] } }, { $unset: unsetOf('linkPending') });
  }

  /**
   * Starts deleting `docs`, jobs with dependents (none `processing`): one not finished is cancelled
   * (its dependents are told it was deleted), and each is marked `deleting`, guarded by the status
   * read (one unordered `bulkWrite`); telling its dependents then deletes it (step 3), and the
   * sweep does so after a crash. @returns those marked (one `find`)
   */
  async beginDelete(docs: readonly JobDocument[], now: Date): Promise<JobDocument[]> {
    if (docs.length === 0) return [];
    const operations: AnyBulkWriteOperation<JobDocument>[] = docs.map((doc) => {
      const filter = { _id: doc._id, status: doc.status, notifyDependents: true } as Filter<JobDocument>;
      if (FINISHED_STATUSES.includes(doc.status)) {
        return { updateOne: { filter, update: { $set: { deleting: true } } } };
      }
      const cancelled = this.cancelUpdate('deleted', now, true) as { $set: Partial<JobDocument> };
      return { updateOne: { filter, update: { ...cancelled, $set: { ...cancelled.$set, deleting: true } } } };
    });
    await this.collection.bulkWrite(operations, { ordered: false });
    return this.collection
      .find({ _id: { $in: docs.map((doc) => doc._id) }, deleting: true }, { batchSize: 10_000 })
      .toArray();
  }

  /** Jobs with dependents that were cancelled at `now` (by `cancelJobs`): whose dependents to tell. */
  findCancelledAt(now: Date): Promise<JobDocument[]> {
    return this.collection
      .find({ notifyDependents: true, status: JobStatus.CANCELLED, updatedAt: now }, { batchSize: 10_000 })
      .toArray();
  }

  /** Dependents made `waiting` at `now` to be linked again (by `retryJobs`). */
  findUnlinkedAt(now: Date): Promise<JobDocument[]> {
    return this.collection
      .find({ linkPending: true, status: JobStatus.WAITING, updatedAt: now }, { batchSize: 10_000 })
      .toArray();
  }

  /** Finished jobs whose dependents may not have been told (index `monque_notify_dependents`). */
  findUntold(limit: number): Promise<JobDocument[]> {
    return this.collection
      .find({ notifyDependents: true, status: { $in: [...FINISHED_STATUSES] } })
      .limit(limit)
      .toArray();
  }

  /** `waiting` jobs whose dependencies may not know of them (index `monque_link_pending`). */
  findUnlinked(limit: number): Promise<JobDocument[]> {
    return this.collection.find({ linkPending: true, status: JobStatus.WAITING }).limit(limit).toArray();
  }

  /** How many jobs depend on `id` (one `countDocuments`, index `monque_depends_on`). */
  countDependents(id: ObjectId): Promise<number> {
    return this.collection.countDocuments({ dependsOn: id });
  }
}
