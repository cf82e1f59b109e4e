/**
 * The arithmetic of a sliding rate window, kept as starts per time bucket (pure, no I/O).
 *
 * A start reserved at time `t` is counted in a bucket that ends at least {@link startAllowance}
 * after `t` (buckets are `duration / 40` wide), and the job must start by that end: a claim whose
 * reply comes later gives its jobs back unstarted. A bucket counts while its end is later than
 * `now - duration`. So every start of the last `duration` is counted, whatever window one looks
 * at: over ANY window of `duration`, at most `max` jobs start. The price is that a start counts
 * for a little longer than the window (its allowance and part of a bucket): with a backlog, about
 * 90 % of the allowed starts are used with a 1 s window, 96 % with 10 s, 98 % with a minute.
 *
 * Buckets are keyed `e<end in ms since the epoch>`, so each one says which time it covers, and
 * records written by instances with different windows still add up conservatively.
 */
import type { RateLimitOptions } from '../flow-control-options.js';

/** Starts per bucket, keyed by {@link bucketKey}. */
export type RateBuckets = Readonly<Record<string, number>>;

/** Buckets per window. */
export const BUCKETS_PER_WINDOW = 40;

/** Longest time a reserved start may take to happen, in ms. */
export const MAX_START_ALLOWANCE = 250;

/** The width of one bucket of a `duration` window, in ms (at least 1). */
export function bucketWidth(duration: number): number {
  return Math.max(1, Math.ceil(duration / BUCKETS_PER_WINDOW));
}

/**
 * How long after its reservation a start may happen: the claim's round trips must fit in it. Twice
 * the longest of the instance's recent reservations (`recent`, ms from reserving to holding the
 * jobs), or, before any, a tenth of the window up to {@link MAX_START_ALLOWANCE} ms; never more
 * than a quarter of the window.
 */
export function startAllowance(duration: number, recent: readonly number[] = []): number {
  const wanted = recent.length === 0 ? Math.min(MAX_START_ALLOWANCE, duration / 10) : 2 * Math.max(...recent);
  return Math.max(1, Math.ceil(Math.min(wanted, duration / 4)));
}

/** The key of the bucket ending at `end`. */
export function bucketKey(end: number): string {
  return `e${end}`;
}

function endOf(key: string): number {
  return Number(key.slice(1));
}

/**
 * The end of the bucket a start reserved at `now` is counted in: at least
 * {@link startAllowance} later. The job must start by then.
 */
export function reservationEnd(now: number, duration: number, allowance = startAllowance(duration)): number {
  const width = bucketWidth(duration);
  return Math.ceil((now + allowance) / width) * width;
}

/** The buckets that still count at `now`, oldest first, as `[end, starts]`. */
function counted(buckets: RateBuckets, now: number, duration: number): [number, number][] {
  return Object.entries(buckets)
    .map(([key, starts]): [number, number] => [endOf(key), starts])
    .filter(([end, starts]) => end > now - duration && Number.isFinite(end) && starts > 0)
    .sort((a, b) => a[0] - b[0]);
}

/** Starts that count against the window at `now`. */
export function countedStarts(buckets: RateBuckets, now: number, duration: number): number {
  return counted(buckets, now, duration).reduce((sum, [, starts]) => sum + starts, 0);
}

/** How many more jobs may start at `now`. */
export function roomAt(buckets: RateBuckets, now: number, rate: RateLimitOptions): number {
  return Math.max(0, rate.max - countedStarts(buckets, now, rate.duration));
}

/** Most buckets a record keeps (the oldest beyond them are dropped): four windows' worth. */
export const MAX_KEPT_BUCKETS = 4 * BUCKETS_PER_WINDOW;

/**
 * The buckets after reserving `starts` at `now`, counted in the bucket ending at `end` (see
 * {@link reservationEnd}). Buckets are dropped once they no longer count `skew` ms later than
 * `now` (the writer's clock may be that far ahead of another instance's, to which they still
 * count: dropping them on the writer's clock alone would let that instance start `max` more in
 * its window), and beyond the newest {@link MAX_KEPT_BUCKETS}, so a record stays small.
 */
export function withStarts(
  buckets: RateBuckets,
  now: number,
  duration: number,
  starts: number,
  end: number,
  skew = 0,
): Record<string, number> {
  const next: Record<string, number> = {};
  const kept = counted(buckets, now - skew, duration).slice(-(MAX_KEPT_BUCKETS - 1));
  for (const [bucketEnd, count] of kept) next[bucketKey(bucketEnd)] = count;
  const key = bucketKey(end);
  next[key] = (next[key] ?? 0) + starts;
  return next;
}

/** When at least one more job may start, or `undefined` when one may start at `now`. */
export function nextRoomAt(buckets: RateBuckets, now: number, rate: RateLimitOptions): number | undefined {
  const live = counted(buckets, now, rate.duration);
  let total = live.reduce((sum, [, starts]) => sum + starts, 0);
  for (const [end, starts] of live) {
    if (total < rate.max) break;
    total -= starts;
    if (total < rate.max) return end + rate.duration;
  }
  return undefined;
}

/** When the record stops mattering: its last bucket no longer counts (retention of rate records). */
export function windowExpiry(buckets: RateBuckets, duration: number): number {
  const ends = Object.keys(buckets).map(endOf).filter(Number.isFinite);
  return ends.length === 0 ? 0 : Math.max(...ends) + duration;
}
