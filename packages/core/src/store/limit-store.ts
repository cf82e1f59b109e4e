/**
 * The flow-control records shared by all instances, in the collection `<collectionName>_limits`:
 *
 * - a rate record per job name (`rateLimit`), or per name and group (`perGroup`): the starts of
 *   the current window by time bucket (see `limits/rate-window.ts`), a `version` bumped by every
 *   change (reservations are compare-and-set on it, so two instances never both take the last
 *   starts), and `blockedUntil` when a handler threw a `RateLimitError`;
 * - the limits each name's workers run with (`kind: 'limits'`), for `getStats()` and the dashboard.
 *
 * Every read and write goes by `_id` (or a range of `_id`s), so no other index is needed.
 */
import type { AnyBulkWriteOperation, Collection, Db, Filter } from 'mongodb';
import type { FlowControlOptions } from '../flow-control-options.js';
import type { RateBuckets } from '../limits/rate-window.js';
import { isDuplicateKeyError } from './job-document.js';

/** Suffix of the collection holding the flow-control records. */
export const LIMITS_COLLECTION_SUFFIX = '_limits';

/** The rate window of one name, or of one group of a name. */
export interface RateRecord {
  _id: string;
  kind: 'rate';
  name: string;
  /** `null`: the whole name (or, with `perGroup`, its jobs without a group). */
  group: string | null;
  /** Starts per time bucket. */
  starts: Record<string, number>;
  /** Bumped by every change: reservations are guarded by it. */
  version: number;
  /** No job of the name (group) starts before this: a handler's `RateLimitError`. */
  blockedUntil?: Date;
  /** The claim token of the last reservation (to tell which of several reservations landed). */
  token?: string;
  /** When the record stops mattering (its last bucket and any block are over). */
  expireAt: Date;
  updatedAt: Date;
}

/** The flow-control options a name's workers run with, as last started. */
export interface PublishedLimits extends FlowControlOptions {
  _id: string;
  kind: 'limits';
  name: string;
  /** The instance that wrote them. */
  instanceId: string;
  updatedAt: Date;
}

type LimitDocument = RateRecord | PublishedLimits;

/** The `_id` of the rate record of `name` (and `group`, with `perGroup`). */
export function rateIdOf(name: string, group: string | null): string {
  return `rate:${JSON.stringify([name, group])}`;
}

/** One reservation: add `starts` to a record read at `version`. */
export interface Reservation {
  readonly name: string;
  readonly group: string | null;
  /** The version read (0: no record yet). */
  readonly version: number;
  /** The record's buckets after the reservation. */
  readonly starts: Record<string, number>;
  readonly expireAt: Date;
}

/** Reads and writes the flow-control records. */
export class LimitStore {
  readonly collection: Collection<LimitDocument>;

  constructor(db: Db, jobsCollectionName: string) {
    this.collection = db.collection<LimitDocument>(`${jobsCollectionName}${LIMITS_COLLECTION_SUFFIX}`);
  }

  /** The rate records of `ids` that exist (one `find` by `_id`). */
  async readRates(ids: readonly string[]): Promise<RateRecord[]> {
    if (ids.length === 0) return [];
    const docs = await this.collection.find({ _id: { $in: [...ids] } } as Filter<LimitDocument>).toArray();
    return docs.filter((doc): doc is RateRecord => doc.kind === 'rate');
  }

  /**
   * Takes starts in several rate records at once, each compare-and-set on the version read: one
   * `update` command (an upsert where no record existed), then, when some were not written, one
   * `find` to tell which were (the records carry `token`).
   * @returns the `_id`s of the records reserved
   */
  async reserve(reservations: readonly Reservation[], token: string, now: Date): Promise<Set<string>> {
    const ids = reservations.map((r) => rateIdOf(r.name, r.group));
    const operations = reservations.map(
      (r, index): AnyBulkWriteOperation<LimitDocument> => ({
        updateOne: {
          filter: { _id: ids[index], version: r.version } as Filter<LimitDocument>,
          update: {
            $set: {
              kind: 'rate',
              name: r.name,
              group: r.group,
              starts: r.starts,
              token,
              expireAt: r.expireAt,
              updatedAt: now,
            },
            $inc: { version: 1 },
          },
          upsert: r.version === 0,
        },
      }),
    );
    let written: number;
    try {
      const result = await this.collection.bulkWrite(operations, { ordered: false });
      written = result.modifiedCount + result.upsertedCount;
    } catch (error) {
      // Another instance created a record first: its reservation won that race.
      if (!isDuplicateKeyError(error)) throw error;
      written = -1;
    }
    if (written === reservations.length) return new Set(ids);
    const docs = await this.readRates(ids);
    return new Set(
      docs
        .filter((doc) => doc.token === token && doc.version === (reservations[ids.indexOf(doc._id)]?.version ?? -2) + 1)
        .map((doc) => doc._id),
    );
  }

  /**
   * Gives back `count` starts of bucket `key` reserved but not used (their claim took fewer jobs):
   * one `update`, guarded by the bucket still holding them; it bumps the version, so a reservation
   * read before it is refused and reads again.
   */
  async giveBack(name: string, group: string | null, key: string, count: number): Promise<void> {
    await this.collection.updateOne(
      { _id: rateIdOf(name, group), [`starts.${key}`]: { $gte: count } } as Filter<LimitDocument>,
      {
        $inc: { [`starts.${key}`]: -count, version: 1 },
      },
    );
  }

  /**
   * Blocks starts of `name` (`group`) until `until` (a `RateLimitError`): one upsert that only ever
   * moves the block later; it bumps the version, so a reservation read before it is refused.
   */
  async block(name: string, group: string | null, until: Date, now: Date): Promise<void> {
    const _id = rateIdOf(name, group);
    try {
      await this.collection.updateOne(
        { _id, $or: [{ blockedUntil: { $exists: false } }, { blockedUntil: { $lt: until } }] } as Filter<LimitDocument>,
        {
          $set: { kind: 'rate', name, group, blockedUntil: until, updatedAt: now },
          $setOnInsert: { starts: {}, expireAt: until },
          $inc: { version: 1 },
        },
        { upsert: true },
      );
    } catch (error) {
      // The record blocks until later already (the filter did not match, the insert collided).
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /** Records the flow-control options of `limits` names (one `update` of upserts). */
  async publish(limits: ReadonlyMap<string, FlowControlOptions>, instanceId: string, now: Date): Promise<void> {
    if (limits.size === 0) return;
    await this.collection.bulkWrite(
      [...limits].map(([name, options]) => ({
        replaceOne: {
          filter: { _id: `limits:${name}` } as Filter<LimitDocument>,
          replacement: { _id: `limits:${name}`, kind: 'limits', name, ...options, instanceId, updatedAt: now },
          upsert: true,
        },
      })),
      { ordered: false },
    );
  }

  /** The published limits of every name (a range of `_id`). */
  async readPublished(): Promise<PublishedLimits[]> {
    const docs = await this.collection
      .find({ _id: { $gte: 'limits:', $lt: 'limits;' } } as Filter<LimitDocument>)
      .toArray();
    return docs.filter((doc): doc is PublishedLimits => doc.kind === 'limits');
  }

  /** The rate records of `name` (all its groups; a range of `_id`). */
  async readRatesOf(name: string): Promise<RateRecord[]> {
    const prefix = `rate:${JSON.stringify([name]).slice(0, -1)},`;
    const docs = await this.collection
      .find({ _id: { $gte: prefix, $lt: `${prefix}\uffff` } } as Filter<LimitDocument>)
      .toArray();
    return docs.filter((doc): doc is RateRecord => doc.kind === 'rate');
  }
}

export type { RateBuckets };
