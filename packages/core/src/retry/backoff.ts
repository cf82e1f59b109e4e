/**
 * Retry delays: exponential (`2^failCount × delay`, exact unless jitter is asked for) or fixed,
 * capped by the backoff's own `maxDelay` and the instance's `maxBackoffDelay`.
 */
import type { BackoffOptions } from '../job.js';

/** The longest retry delay by default: one year. `2^failCount` grows fast; a Date cannot hold every result. */
export const MAX_BACKOFF_DELAY_MS = 365 * 24 * 60 * 60 * 1000;

/** The latest time a JavaScript `Date` can hold (ms since the epoch: September 275760). */
export const LATEST_DATE_MS = 8.64e15;

/**
 * `delay` ms after `at`, but never later than the latest time a `Date` can hold: a due time is
 * always a valid date, however large the delay (an `Invalid Date` would be stored as 1970, due at once).
 */
export function dueAfter(at: Date, delay: number): Date {
  return new Date(Math.min(at.getTime() + delay, LATEST_DATE_MS));
}

/**
 * The retry delay after a failure: `2^failCount × baseRetryInterval` ms, exactly (no jitter),
 * capped at `maxDelay`.
 *
 * @param failCount - failures so far, including the one just recorded (≥ 1)
 * @param baseRetryInterval - the base interval in ms
 * @param maxDelay - the cap (default one year)
 */
export function calculateBackoffDelay(
  failCount: number,
  baseRetryInterval: number,
  maxDelay = MAX_BACKOFF_DELAY_MS,
): number {
  return Math.min(2 ** failCount * baseRetryInterval, maxDelay);
}

/** When a job that failed at `failedAt` is due again: `failedAt + 2^failCount × baseRetryInterval`. */
export function calculateBackoff(failedAt: Date, failCount: number, baseRetryInterval: number): Date {
  return new Date(failedAt.getTime() + calculateBackoffDelay(failCount, baseRetryInterval));
}

/**
 * The delay before the next run after the `failCount`-th failure under `backoff`.
 *
 * @param maxBackoffDelay - the instance's cap, applied after the backoff's own `maxDelay`
 * @param random - a number in [0, 1) (tests pass a fixed one)
 */
export function backoffDelay(
  backoff: BackoffOptions,
  failCount: number,
  maxBackoffDelay = MAX_BACKOFF_DELAY_MS,
  random: () => number = Math.random,
): number {
  const raw = backoff.type === 'fixed' ? backoff.delay : 2 ** failCount * backoff.delay;
  const capped = Math.min(raw, backoff.maxDelay ?? Number.POSITIVE_INFINITY, maxBackoffDelay);
  const jitter = backoff.jitter ?? 0;
  return jitter > 0 ? capped * (1 - jitter * random()) : capped;
}
