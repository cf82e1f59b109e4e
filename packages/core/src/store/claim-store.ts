/**
 * Claiming due jobs: reading candidates, taking them with a fresh claim token, finding the jobs of
 * a claim whose reply was lost, and giving claimed jobs back unstarted.
 *
 * Every claim write is guarded again by `status: 'pending'` and `nextRunAt <= now`, so each job has
 * one owner whatever other instances do between the read and the write; the token stamped by the
 * write tells this instance which jobs it got.
 */
import type { Collection, Filter, ObjectId, UpdateFilter } from 'mongodb';
import { JobStatus } from '../job.js';
import type { ResolvedRetention } from '../options.js';
import { cancelledUpdate } from './control-store.js';
import { type JobDocument, unsetOf } from './job-document.js';

/** The claim's own values, stamped on every job it takes. */
export interface ClaimStamp {
  owner: string;
  token: string;
  now: Date;
  /**
   * The retry limit in force here for jobs of a name (its worker's `maxRetries`, else the
   * instance's), stamped on each job claimed as `retryLimit`: whichever instance recovers the job
   * later decides by it, not by its own settings. Nothing is stamped without it.
   */
  retryLimitOf?: (name: string) => number;
  /**
   * The instance's `maxStalls`, stamped on each job claimed as `stallLimit`: whichever instance
   * recovers the job later decides by it. Nothing is stamped without it.
   */
  stallLimit?: number;
  /**
   * The `deadLetter` of the worker here for jobs of a name, stamped on each job claimed as
   * `workerDeadLetter` (removed when `undefined`), so whichever instance fails the job for good
   * writes it. Nothing is stamped or removed without it.
   */
  deadLetterOf?: (name: string) => string | undefined;
}

/** A job a claim takes by id: its name decides the retry limit stamped on it. */
export type ClaimCandidate = Pick<JobDocument, '_id' | 'name'>;

/** The sort of the claim: higher priority first, then the longest due. */
export const CLAIM_SORT = { priority: -1, nextRunAt: 1 } as const;

function dueFilter(
  names: readonly string[],
  now: Date,
  exclude: readonly ObjectId[],
  withoutGroup = false,
): Filter<JobDocument> {
  return {
    status: JobStatus.PENDING,
    name: { $in: [...names] },
    nextRunAt: { $lte: now },
    _id: { $nin: [...exclude] },
    ...(withoutGroup ? { group: { $exists: false } } : {}),
  };
}

/** What a claim sets on each job it takes. */
function claimedFields(
  { owner, token, now, retryLimitOf, deadLetterOf, stallLimit }: ClaimStamp,
  name: string,
): Partial<JobDocument> {
  const fields: Partial<JobDocument> = {
    status: JobStatus.PROCESSING,
    owner,
    claimToken: token,
    lockedAt: now,
    startedAt: now,
    updatedAt: now,
  };
  if (retryLimitOf) fields.retryLimit = retryLimitOf(name);
  if (stallLimit !== undefined) fields.stallLimit = stallLimit;
  const deadLetter = deadLetterOf?.(name);
  if (deadLetter !== undefined) fields.workerDeadLetter = deadLetter;
  return fields;
}

/** Claims and releases jobs. */
export class ClaimStore {
  /** @param retention - when cancelled jobs are deleted (a job released after its cancellation was requested ends cancelled) */
  constructor(
    private readonly collection: Collection<JobDocument>,
    private readonly retention: ResolvedRetention | false = false,
  ) {}

  /** The fields a claim of jobs named `name` sets (and `attempts` it counts). */
  claimUpdate(stamp: ClaimStamp, name: string): UpdateFilter<JobDocument> {
    return {
      $set: claimedFields(stamp, name),
      // A run reports its own progress: an earlier run's (a retry, a recurring job) is gone.
      // A late success of the run a recovery took the job from may complete it only until then.
      $unset:
        stamp.deadLetterOf && stamp.deadLetterOf(name) === undefined
          ? unsetOf('progress', 'workerDeadLetter', 'recoveredFrom')
          : unsetOf('progress', 'recoveredFrom'),
      $inc: { attempts: 1 },
    };
  }

  /** `doc` as a claim by `stamp` leaves it (to skip reading back what the claim wrote). */
  applyClaim(doc: JobDocument, stamp: ClaimStamp): JobDocument {
    const { progress: _earlierRun, workerDeadLetter: _earlierWorker, recoveredFrom: _recovered, ...rest } = doc;
    return { ...rest, ...claimedFields(stamp, doc.name), attempts: (doc.attempts ?? 0) + 1 };
  }

  /**
   * Due jobs of `names` in claim order (index `monque_claim_priority`: equality on status and name,
   * sort on priority and due time, range on due time), at most `limit`, none of `exclude`. With
   * `withoutGroup`, only the jobs without a group (the same index walk, skipping grouped jobs: the
   * jobs without a group of a name whose groups have a backlog, which an older backlog would hide
   * from a read of all its due jobs).
   */
  findDue(
    names: readonly string[],
    limit: number,
    now: Date,
    exclude: readonly ObjectId[],
    withoutGroup = false,
  ): Promise<JobDocument[]> {
    return this.collection
      .find(dueFilter(names, now, exclude, withoutGroup))
      .sort(CLAIM_SORT)
      .limit(limit)
      .toArray();
  }

  /** Claims the first due job of `name` in claim order: one `findAndModify` guarded by status and due time. */
  claimNext(name: string, stamp: ClaimStamp, exclude: readonly ObjectId[]): Promise<JobDocument | null> {
    return this.collection.findOneAndUpdate(dueFilter([name], stamp.now, exclude), this.claimUpdate(stamp, name), {
      sort: CLAIM_SORT,
      returnDocument: 'after',
    });
  }

  /** Claims one known job if it is still due: one `findAndModify` by id, guarded by status and due time. */
  claimById(job: ClaimCandidate, stamp: ClaimStamp): Promise<JobDocument | null> {
    return this.collection.findOneAndUpdate(
      { _id: job._id, status: JobStatus.PENDING, nextRunAt: { $lte: stamp.now } },
      this.claimUpdate(stamp, job.name),
      { returnDocument: 'after' },
    );
  }

  /**
   * Claims those of `jobs` still due, guarded by status and due time: one `updateMany`, or when
   * their names have different retry limits, one `update` command of one statement per limit.
   * @returns how many it took (fewer when other instances took some first)
   */
  async claimIds(jobs: readonly ClaimCandidate[], stamp: ClaimStamp): Promise<number> {
    const due = (ids: ObjectId[]): Filter<JobDocument> => ({
      _id: { $in: ids },
      status: JobStatus.PENDING,
      nextRunAt: { $lte: stamp.now },
    });
    // Jobs whose names stamp the same fields share one statement.
    const byLimit = new Map<string, { name: string; ids: ObjectId[] }>();
    for (const job of jobs) {
      const key = `${stamp.retryLimitOf?.(job.name)}\0${stamp.deadLetterOf?.(job.name)}`;
      const group = byLimit.get(key) ?? { name: job.name, ids: [] };
      group.ids.push(job._id);
      byLimit.set(key, group);
    }
    const groups = [...byLimit.values()];
    if (groups.length <= 1) {
      const { name, ids } = groups[0] ?? { name: '', ids: [] };
      return (await this.collection.updateMany(due(ids), this.claimUpdate(stamp, name))).modifiedCount;
    }
    const result = await this.collection.bulkWrite(
      groups.map(({ name, ids }) => ({ updateMany: { filter: due(ids), update: this.claimUpdate(stamp, name) } })),
      { ordered: false },
    );
    return result.modifiedCount;
  }

  /** The jobs a claim took that are still held by it (index `monque_owner`), in claim order. */
  findClaimed(owner: string, tokens: readonly string[]): Promise<JobDocument[]> {
    return this.collection
      .find({
        owner,
        status: JobStatus.PROCESSING,
        claimToken: { $in: [...tokens] },
      })
      .sort(CLAIM_SORT)
      .toArray();
  }

  /**
   * Gives jobs of claims `tokens` back unstarted: `pending` again with their due time, `attempts`
   * uncounted, no failure charged. A job whose cancellation was requested is never handed back (an
   * instance would start it before noticing): it ends `cancelled`. One `update` command of three
   * statements (index `monque_owner`). Only `ids` when given.
   * @returns how many were released or cancelled
   */
  async release(owner: string, tokens: readonly string[], now: Date, ids?: readonly ObjectId[]): Promise<number> {
    if (tokens.length === 0) return 0;
    const held: Filter<JobDocument> = {
      owner,
      status: JobStatus.PROCESSING,
      claimToken: { $in: [...tokens] },
    };
    if (ids) held._id = { $in: [...ids] };
    // A job with dependents keeps no expiry until they are told (the workflow sweep tells them).
    const cancelled = [false, true].map((hasDependents) => {
      const cancel = cancelledUpdate(hasDependents ? false : this.retention, undefined, now);
      return {
        updateMany: {
          filter: { ...held, cancelRequestedAt: { $exists: true }, notifyDependents: { $exists: hasDependents } },
          update: { ...cancel, $unset: { ...cancel.$unset, ...unsetOf('owner', 'limitSlot', 'groupSlot') } },
        },
      };
    });
    const result = await this.collection.bulkWrite([
      ...cancelled,
      {
        updateMany: {
          filter: { ...held, cancelRequestedAt: { $exists: false } },
          update: {
            $set: { status: JobStatus.PENDING, lockedAt: null, claimToken: null, updatedAt: now },
            $unset: unsetOf('owner', 'limitSlot', 'groupSlot'),
            $inc: { attempts: -1 },
          },
        },
      },
    ]);
    return result.modifiedCount;
  }

  /**
   * Which of jobs `ids` a give-back of claims `tokens` ended `cancelled` (their cancellation was
   * requested): they keep the claim's token. One `find` by `_id`.
   */
  findCancelledAtRelease(tokens: readonly string[], ids: readonly ObjectId[]): Promise<JobDocument[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.collection
      .find({ _id: { $in: [...ids] }, status: JobStatus.CANCELLED, claimToken: { $in: [...tokens] } })
      .toArray();
  }
}
