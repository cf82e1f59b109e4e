/**
 * Completed and failed runs per minute and job name, in the collection `<collectionName>_metrics`:
 * one document per minute and name (`_id` `'<minute ISO>|<name>'`), incremented by the instances
 * that ran the jobs. Each document expires 2 days after its minute (TTL index
 * `monque_metrics_retention`, and the retention sweep where TTL does not run).
 */
import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb';
import type { ThroughputBucket } from '../queries.js';

/** Suffix of the collection holding the per-minute counters. */
export const METRICS_COLLECTION_SUFFIX = '_metrics';
/** How long a minute's counters are kept (2 days). */
export const METRICS_RETENTION_MS = 2 * 24 * 60 * 60 * 1000;
/** One minute in ms. */
export const MINUTE_MS = 60_000;

/** One minute's counters of one job name. */
export interface MetricDocument {
  _id: string;
  name: string;
  /** Start of the minute. */
  minute: Date;
  completed: number;
  failed: number;
  /** When the counters are deleted. */
  expireAt: Date;
}

/** Runs to add to one minute of one name. */
export interface ThroughputCount {
  name: string;
  minute: Date;
  completed: number;
  failed: number;
}

/**
 * The `_id` of a counter: the minute as an ISO string, then the name (`2030-01-01T10:05:00.000Z|mail`).
 * ISO strings of one length sort by time, so reads and the sweep go by `_id` range, served by the
 * `_id` index: the collection needs no index of its own (and no command to create one).
 */
export function metricId(minute: Date, name: string): string {
  return `${minute.toISOString()}|${name}`;
}

/** The start of the minute holding `at`. */
export function minuteOf(at: Date): Date {
  return new Date(Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS);
}

/** Reads and increments the per-minute counters. */
export class ThroughputStore {
  readonly collection: Collection<MetricDocument>;

  constructor(db: Db, jobsCollectionName: string) {
    this.collection = db.collection<MetricDocument>(`${jobsCollectionName}${METRICS_COLLECTION_SUFFIX}`);
  }

  /** Adds the counts: one unordered `bulkWrite` of `$inc` upserts by `_id`, whatever their number. */
  async add(counts: readonly ThroughputCount[]): Promise<void> {
    if (counts.length === 0) return;
    const operations: AnyBulkWriteOperation<MetricDocument>[] = counts.map((count) => {
      const minute = minuteOf(count.minute);
      return {
        updateOne: {
          filter: { _id: metricId(minute, count.name) },
          update: {
            $inc: { completed: count.completed, failed: count.failed },
            $setOnInsert: {
              name: count.name,
              minute,
              expireAt: new Date(minute.getTime() + METRICS_RETENTION_MS),
            },
          },
          upsert: true,
        },
      };
    });
    await this.collection.bulkWrite(operations, { ordered: false });
  }

  /**
   * The counters of the `minutes` minutes ending with the one holding `now`, oldest first, every
   * minute present (zeros where nothing ran): one `aggregate` that `$match`es the minutes by `_id`
   * range (index `_id`; and the name) and `$group`s by minute with `$sum`.
   */
  async read(now: Date, minutes: number, name?: string): Promise<ThroughputBucket[]> {
    const last = minuteOf(now).getTime();
    const first = last - (minutes - 1) * MINUTE_MS;
    const match: Record<string, unknown> = {
      _id: { $gte: new Date(first).toISOString(), $lt: new Date(last + MINUTE_MS).toISOString() },
    };
    if (name !== undefined) match.name = name;
    const rows = await this.collection
      .aggregate<{ _id: Date; completed: number; failed: number }>([
        { $match: match },
        { $group: { _id: '$minute', completed: { $sum: '$completed' }, failed: { $sum: '$failed' } } },
      ])
      .toArray();
    const byMinute = new Map(rows.map((row) => [new Date(row._id).getTime(), row]));
    const buckets: ThroughputBucket[] = [];
    for (let at = first; at <= last; at += MINUTE_MS) {
      const row = byMinute.get(at);
      buckets.push({ minute: new Date(at), completed: row?.completed ?? 0, failed: row?.failed ?? 0 });
    }
    return buckets;
  }
}
