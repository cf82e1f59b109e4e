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
import { type JobDocument, unsetOf } from './job-document.js';

/** The claim's own values, stamped on every job it takes. */
export interface ClaimStamp {
  owner: string;
  token: string;
  now: Date;
}

/** The sort of the claim: higher priority first, then the longest due. */
export const CLAIM_SORT = { priority: -1, nextRunAt: 1 } as const;

function dueFilter(names: readonly string[], now: Date, exclude: readonly ObjectId[]): Filter<JobDocument> {
  return {
    status: JobStatus.PENDING,
    name: { $in: [...names] },
    nextRunAt: { $lte: now },
    _id: { $nin: [...exclude] },
  };
}

/** Claims and releases jobs. */
export class ClaimStore {
  constructor(private readonly collection: Collection<JobDocument>) {}

  /** The fields a claim sets (and `attempts` it counts). */
  claimUpdate({ owner, token, now }: ClaimStamp): UpdateFilter<JobDocument> {
    return {
      $set: { status: JobStatus.PROCESSING, owner, claimToken: token, lockedAt: now, startedAt: now, updatedAt: now },
      // A run reports its own progress: an earlier run's (a retry, a recurring job) is gone.
      $unset: unsetOf('progress'),
      $inc: { attempts: 1 },
    };
  }

  /** `doc` as a claim by `stamp` leaves it (to skip reading back what the claim wrote). */
  applyClaim(doc: JobDocument, { owner, token, now }: ClaimStamp): JobDocument {
    const { progress: _earlierRun, ...rest } = doc;
    return {
      ...rest,
      status: JobStatus.PROCESSING,
      owner,
      claimToken: token,
      lockedAt: now,
      startedAt: now,
      updatedAt: now,
      attempts: (doc.attempts ?? 0) + 1,
    };
  }

  /**
   * Due jobs of `names` in claim order (index `monque_claim_priority`: equality on status and name,
   * sort on priority and due time, range on due time), at most `limit`, none of `exclude`.
   */
  findDue(names: readonly string[], limit: number, now: Date, exclude: readonly ObjectId[]): Promise<JobDocument[]> {
    return this.collection
      .find(dueFilter(names, now, exclude))
      .sort(CLAIM_SORT)
      .limit(limit)
      .toArray();
  }

  /** Claims the first due job of `name` in claim order: one `findAndModify` guarded by status and due time. */
  claimNext(name: string, stamp: ClaimStamp, exclude: readonly ObjectId[]): Promise<JobDocument | null> {
    return this.collection.findOneAndUpdate(dueFilter([name], stamp.now, exclude), this.claimUpdate(stamp), {
      sort: CLAIM_SORT,
      returnDocument: 'after',
    });
  }

  /** Claims one known job if it is still due: one `findAndModify` by id, guarded by status and due time. */
  claimById(id: ObjectId, stamp: ClaimStamp): Promise<JobDocument | null> {
    return this.collection.findOneAndUpdate(
      { _id: id, status: JobStatus.PENDING, nextRunAt: { $lte: stamp.now } },
      this.claimUpdate(stamp),
      { returnDocument: 'after' },
    );
  }

  /**
   * Claims those of `ids` still due: one `updateMany` guarded by status and due time.
   * @returns how many it took (fewer when other instances took some first)
   */
  async claimIds(ids: readonly ObjectId[], stamp: ClaimStamp): Promise<number> {
    const result = await this.collection.updateMany(
      { _id: { $in: [...ids] }, status: JobStatus.PENDING, nextRunAt: { $lte: stamp.now } },
      this.claimUpdate(stamp),
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
   * uncounted, no failure charged (one `updateMany`, index `monque_owner`). Only `ids` when given.
   * @returns how many were released
   */
  async release(owner: string, tokens: readonly string[], now: Date, ids?: readonly ObjectId[]): Promise<number> {
    if (tokens.length === 0) return 0;
    const filter: Filter<JobDocument> = {
      owner,
      status: JobStatus.PROCESSING,
      claimToken: { $in: [...tokens] },
    };
    if (ids) filter._id = { $in: [...ids] };
    const result = await this.collection.updateMany(filter, {
      $set: { status: JobStatus.PENDING, lockedAt: null, claimToken: null, updatedAt: now },
      $unset: unsetOf('owner', 'limitSlot', 'groupSlot'),
      $inc: { attempts: -1 },
    });
    return result.modifiedCount;
  }
}
