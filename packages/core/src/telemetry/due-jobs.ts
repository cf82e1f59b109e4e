/**
 * Due jobs per name for the `monque.jobs.due` gauge: one aggregate over the collection, cached so
 * that a metric reader collecting every few seconds does not query the database every time.
 */
import type { Collection } from 'mongodb';
import { JobStatus } from '../job.js';
import type { JobDocument } from '../store/job-document.js';

/**
 * Counts due jobs per name, or returns `undefined` when this instance reports none right now
 * (e.g. it is not started, so a stopped or producer-only instance sends no query).
 */
export type DueJobsSource = () => Promise<ReadonlyMap<string, number>> | undefined;

/**
 * Oldest figures the gauge reports, in ms: a collection finding older ones queries again first.
 * @defaultValue 30000
 */
export const DUE_JOBS_MAX_AGE = 30_000;

/** Longest time the count may take on the server (ms) before it gives up. */
export const DUE_JOBS_MAX_TIME = 10_000;

/**
 * Longest wait (ms) for a count, whatever the server does (one that stopped answering without
 * closing the connection never ends the command): then the refresh counts as failed.
 * @defaultValue 15000
 */
export const DUE_JOBS_WAIT = 15_000;

/** Rejects after `ms` unless `work` settles first; the timer does not keep the process alive. */
function bounded<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/**
 * Counts the `pending` jobs due by `now`, per name: `$match` on `status` and `nextRunAt`, then
 * `$group` by `name` (index `monque_claim_priority` `{status, name, priority, nextRunAt}` covers
 * it on MongoDB: no document is fetched). Jobs of paused names count too: they are due.
 */
export async function countDueJobs(collection: Collection<JobDocument>, now: Date): Promise<Map<string, number>> {
  const rows = await collection
    .aggregate<{ _id: string; count: number }>(
      [
        { $match: { status: JobStatus.PENDING, nextRunAt: { $lte: now } } },
        { $group: { _id: '$name', count: { $sum: 1 } } },
      ],
      { maxTimeMS: DUE_JOBS_MAX_TIME },
    )
    .toArray();
  return new Map(rows.map((row) => [row._id, row.count]));
}

/**
 * The last figures of a {@link DueJobsSource}, refreshed on read once older than `maxAge`. One
 * refresh at a time: reads during a refresh wait for it. A name seen before and absent from a
 * refresh is reported as 0 (so a chart goes back to zero instead of stopping at its last value);
 * a failed refresh (an error, or no answer within `wait`), or a source that reports nothing,
 * leaves no figures until the next refresh.
 */
export class DueJobsCache {
  private figures: ReadonlyMap<string, number> = new Map();
  private refreshedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;

  /**
   * @param source - where the figures come from
   * @param maxAge - oldest figures read without a refresh (ms); default {@link DUE_JOBS_MAX_AGE}
   * @param monotonicNow - the current time in ms, for ages only; default `performance.now`
   * @param wait - longest wait for one count (ms); default {@link DUE_JOBS_WAIT}
   */
  constructor(
    private readonly source: DueJobsSource,
    private readonly maxAge = DUE_JOBS_MAX_AGE,
    private readonly monotonicNow: () => number = () => performance.now(),
    private readonly wait = DUE_JOBS_WAIT,
  ) {}

  /** The figures, refreshed first if they are older than `maxAge`. */
  async read(): Promise<ReadonlyMap<string, number>> {
    if (this.monotonicNow() - this.refreshedAt >= this.maxAge) {
      this.refreshing ??= this.refresh().finally(() => {
        this.refreshing = undefined;
      });
      await this.refreshing;
    }
    return this.figures;
  }

  private async refresh(): Promise<void> {
    try {
      const counting = this.source();
      if (counting === undefined) {
        // Nothing to report now (a stopped instance): no figures, and no waiting for maxAge to
        // ask again once there is something.
        this.figures = new Map();
        this.refreshedAt = Number.NEGATIVE_INFINITY;
        return;
      }
      const counts = await bounded(counting, this.wait);
      const next = new Map<string, number>();
      for (const name of this.figures.keys()) next.set(name, 0);
      for (const [name, count] of counts) next.set(name, count);
      this.figures = next;
    } catch {
      this.figures = new Map();
    }
    this.refreshedAt = this.monotonicNow();
  }
}
