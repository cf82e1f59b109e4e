/** The longest retry delay: one year. `2^failCount` grows fast; a Date cannot hold every result. */
export const MAX_BACKOFF_DELAY_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * The retry delay after a failure: `2^failCount × baseRetryInterval` ms, exactly (no jitter),
 * capped at {@link MAX_BACKOFF_DELAY_MS}.
 *
 * @param failCount - failures so far, including the one just recorded (≥ 1)
 * @param baseRetryInterval - the base interval in ms
 */
export function calculateBackoffDelay(failCount: number, baseRetryInterval: number): number {
  return Math.min(2 ** failCount * baseRetryInterval, MAX_BACKOFF_DELAY_MS);
}

/** When a job that failed at `failedAt` is due again: `failedAt + 2^failCount × baseRetryInterval`. */
export function calculateBackoff(failedAt: Date, failCount: number, baseRetryInterval: number): Date {
  return new Date(failedAt.getTime() + calculateBackoffDelay(failCount, baseRetryInterval));
}
