import { InvalidArgumentError } from './invalid-argument-error.js';
import { MonqueError, MonqueErrorCode } from './monque-error.js';

/** Longest `retryAfterMs` (a timer's limit, about 24.8 days). */
export const MAX_RETRY_AFTER_MS = 2_147_483_647;

/**
 * Throw it from a handler when the service it calls says "too many requests, come back later"
 * (an HTTP 429 with `Retry-After`): the job goes back to `pending`, due after `retryAfterMs`, with
 * no attempt charged and no failure counted, and its job name (its group, with
 * `rateLimit.perGroup`) takes no new jobs until then, on every instance.
 *
 * ```ts
 * const response = await fetch(url, { signal });
 * if (response.status === 429) throw new RateLimitError(Number(response.headers.get('retry-after') ?? 30) * 1000);
 * ```
 */
export class RateLimitError extends MonqueError {
  /** How long, in ms, the job (and its name or group) waits before starting again. */
  readonly retryAfterMs: number;

  /**
   * @param retryAfterMs - ms to wait, from 0 to about 24.8 days
   * @throws InvalidArgumentError when `retryAfterMs` is not such a number
   */
  constructor(retryAfterMs: number, message?: string) {
    if (typeof retryAfterMs !== 'number' || !(retryAfterMs >= 0 && retryAfterMs <= MAX_RETRY_AFTER_MS)) {
      throw new InvalidArgumentError(
        'retryAfterMs',
        `expected ms from 0 to ${MAX_RETRY_AFTER_MS}, got ${String(retryAfterMs)}`,
      );
    }
    super(MonqueErrorCode.RATE_LIMITED, message ?? `rate limited: retry after ${retryAfterMs} ms`);
    this.name = 'RateLimitError';
    this.retryAfterMs = retryAfterMs;
  }
}
