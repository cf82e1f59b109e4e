/**
 * Deletes what has outlived its retention: finished jobs whose `expireAt` has passed,
 * per-minute counters past their `expireAt` (2 days), and throttle windows that have closed
 * (`expireAt`, index `monque_throttle_expiry`, also their TTL index). MongoDB's TTL index `monque_retention` does
 * the same for jobs about once a minute where the server runs it; this sweep makes retention hold
 * where TTL does not run or falls behind (some MongoDB-compatible servers store TTL indexes but
 * never expire anything), and is the only deletion of counters. Deleting what is already deleted is a no-op,
 * so any number of instances may sweep at once.
 */
import type { Collection } from 'mongodb';
import type { JobDocument } from './job-document.js';
import { FINISHED_STATUSES } from './job-document.js';
import type { ThrottleWindow } from './throttle-store.js';
import { METRICS_RETENTION_MS, type MetricDocument, MINUTE_MS, metricId, minuteOf } from './throughput-store.js';

/** Most documents one sweep deletes per collection. */
export const MAX_DELETIONS_PER_SWEEP = 1000;

/** What one sweep deleted. */
export interface SweepResult {
  jobs: number;
  metrics: number;
  /** Closed throttle windows (when the store was given their collection). */
  throttleWindows?: number;
}

/** Finds and deletes expired documents, a bounded number at a time. */
export class RetentionStore {
  constructor(
    private readonly jobs: Collection<JobDocument>,
    private readonly metrics: Collection<MetricDocument>,
    private readonly throttleWindows?: Collection<ThrottleWindow>,
  ) {}

  /**
   * Deletes at most `limit` expired jobs and `limit` expired counters. Per collection: one `find`
   * of the ids due (jobs: `expireAt <= now`, index `monque_retention`, oldest first; counters:
   * their `_id` range before the minute that expires now, index `_id`, whose documents all carry an
   * earlier `expireAt`), then one `deleteMany` of those ids, guarded again by `expireAt` (and, for
   * jobs, by a finished status: an active job is never deleted, whatever its fields say). Closed
   * throttle windows likewise, by `expireAt` (a closed window limits nothing any more).
   */
  async deleteExpired(now: Date, limit = MAX_DELETIONS_PER_SWEEP): Promise<SweepResult> {
    const jobFilter = { expireAt: { $lte: now }, status: { $in: [...FINISHED_STATUSES] } };
    const cutoff = metricId(minuteOf(new Date(now.getTime() - METRICS_RETENTION_MS + MINUTE_MS)), '');
    const [jobs, metrics, throttleWindows] = await Promise.all([
      this.deleteBounded(this.jobs as unknown as Collection<{ _id: unknown }>, jobFilter, { expireAt: 1 }, limit),
      this.deleteBounded(
        this.metrics as unknown as Collection<{ _id: unknown }>,
        { _id: { $lt: cutoff }, expireAt: { $lte: now } },
        { _id: 1 },
        limit,
      ),
      this.throttleWindows
        ? this.deleteBounded(
            this.throttleWindows as unknown as Collection<{ _id: unknown }>,
            { expireAt: { $lte: now } },
            { expireAt: 1 },
            limit,
          )
        : 0,
    ]);
    return this.throttleWindows ? { jobs, metrics, throttleWindows } : { jobs, metrics };
  }

  private async deleteBounded(
    collection: Collection<{ _id: unknown }>,
    filter: Record<string, unknown>,
    order: Record<string, 1>,
    limit: number,
  ): Promise<number> {
    const expired = await collection
      .find(filter, { projection: { _id: 1 }, batchSize: limit })
      .sort(order)
      .limit(limit)
      .toArray();
    if (expired.length === 0) return 0;
    // `$and`: the counters' filter has an `_id` range of its own, which must not replace the ids read.
    const ids = { _id: { $in: expired.map((doc) => doc._id) } };
    const { deletedCount } = await collection.deleteMany({ $and: [ids, filter] });
    return deletedCount;
  }
}
