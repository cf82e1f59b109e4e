/**
 * The job queries of flow-controlled claims (names with `globalConcurrency`, `groupConcurrency` or
 * `rateLimit`, and names whose jobs have groups): due jobs read group by group, the running jobs
 * that hold a name's slots, and claims that give each job its own slot.
 *
 * A slot is a field of the running job (`limitSlot`, `groupSlot`) under a unique index, so the
 * database itself refuses a second holder: two instances that pick the same free slot cannot
 * both claim with it, whatever replies are lost. Every claim is guarded again by `status:
 * 'pending'` and `nextRunAt <= now`, like any claim.
 */
import type { AnyBulkWriteOperation, Collection, Filter, ObjectId } from 'mongodb';
import { JobStatus } from '../job.js';
import type { ClaimStamp, ClaimStore } from './claim-store.js';
import { isDuplicateKeyError, type JobDocument } from './job-document.js';

/** The sort of a read across groups: group by group, claim order within each. */
export const GROUP_SORT = { group: 1, priority: -1, nextRunAt: 1 } as const;

/** Which groups a read across groups covers: after `after` (exclusive), up to `upTo` (inclusive). */
export interface GroupRange {
  /** `null`: from the first group. */
  readonly after: string | null;
  /** `undefined`: to the last group. */
  readonly upTo?: string;
}

/** A running job of a name, as far as its slots are concerned. */
export interface RunningJob {
  readonly group?: string;
  readonly limitSlot?: number;
  readonly groupSlot?: number;
}

/** One job to claim, with the slots it takes. */
export interface SlotClaim {
  readonly id: ObjectId;
  /** Its name (the retry limit stamped on it depends on it). */
  readonly name: string;
  readonly limitSlot?: number;
  readonly groupSlot?: number;
}

/** Reads and claims of flow-controlled names. */
export class LimitedClaimStore {
  constructor(
    private readonly collection: Collection<JobDocument>,
    private readonly claims: ClaimStore,
  ) {}

  /**
   * Due jobs of `name` with a group in `range`, group by group (ascending), claim order within a
   * group (index `monque_claim_group`: equality on status and name, then group, priority and due
   * time), at most `limit`, none of `exclude`.
   */
  findDueInGroups(
    name: string,
    range: GroupRange,
    limit: number,
    now: Date,
    exclude: readonly ObjectId[],
  ): Promise<JobDocument[]> {
    const group: Record<string, unknown> = { $exists: true };
    if (range.after !== null) group.$gt = range.after;
    if (range.upTo !== undefined) group.$lte = range.upTo;
    const filter = {
      status: JobStatus.PENDING,
      name,
      group,
      nextRunAt: { $lte: now },
      _id: { $nin: [...exclude] },
    } as Filter<JobDocument>;
    return this.collection.find(filter).sort(GROUP_SORT).limit(limit).toArray();
  }

  /**
   * The running jobs of `name` (index `monque_claim_priority`, equality on status and name): what
   * holds its slots. Bounded by the concurrency of the instances running it.
   */
  async findRunning(name: string): Promise<RunningJob[]> {
    const docs = await this.collection
      .find({ status: JobStatus.PROCESSING, name }, { projection: { _id: 0, group: 1, limitSlot: 1, groupSlot: 1 } })
      .toArray();
    return docs.map(({ group, limitSlot, groupSlot }) => ({ group, limitSlot, groupSlot }));
  }

  /**
   * Claims `planned` with `stamp`, each job with its own slots: one `update` command of one
   * statement per job (unordered), each guarded by status and due time. Without slots, one
   * `updateMany`.
   * @returns how many it took, or `undefined` when a slot was taken by someone else first (the
   *   server refused a statement as a duplicate key): read the claim back by its token
   */
  async claim(planned: readonly SlotClaim[], stamp: ClaimStamp): Promise<number | undefined> {
    if (planned.every((job) => job.limitSlot === undefined && job.groupSlot === undefined)) {
      return this.claims.claimIds(
        planned.map((job) => ({ _id: job.id, name: job.name })),
        stamp,
      );
    }
    const operations: AnyBulkWriteOperation<JobDocument>[] = planned.map((job) => {
      const base = this.claims.claimUpdate(stamp, job.name);
      const slots: Partial<JobDocument> = {};
      if (job.limitSlot !== undefined) slots.limitSlot = job.limitSlot;
      if (job.groupSlot !== undefined) slots.groupSlot = job.groupSlot;
      return {
        updateOne: {
          filter: { _id: job.id, status: JobStatus.PENDING, nextRunAt: { $lte: stamp.now } },
          update: { ...base, $set: { ...base.$set, ...slots } },
        },
      };
    });
    try {
      const result = await this.collection.bulkWrite(operations, { ordered: false });
      return result.modifiedCount;
    } catch (error) {
      if (isSlotConflict(error)) return undefined;
      throw error;
    }
  }
}

/** Whether a claim was refused only because some slot was taken first (duplicate keys). */
function isSlotConflict(error: unknown): boolean {
  const writeErrors = (error as { writeErrors?: unknown } | null)?.writeErrors;
  if (Array.isArray(writeErrors) && writeErrors.length > 0) return writeErrors.every(isDuplicateKeyError);
  return isDuplicateKeyError(error);
}
