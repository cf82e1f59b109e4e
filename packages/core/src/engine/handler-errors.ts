/**
 * How the runner reads what a handler threw, and how much of what it returned it stores.
 */

import { MonqueErrorCode } from '../errors/monque-error.js';
import type { RateLimitError } from '../errors/rate-limit-error.js';
import { UnrecoverableError } from '../errors/unrecoverable-error.js';

/** Largest handler result stored, as BSON. */
export const MAX_RESULT_BYTES = 4 * 1024 * 1024;

/**
 * Whether `error` asks for no retry: an {@link UnrecoverableError}, also one of another copy of
 * `@monque/core` (two installed versions, or its ESM and CommonJS builds both loaded), which is
 * not an instance of this copy's class but carries its name and code.
 */
export function isUnrecoverable(error: Error): boolean {
  if (error instanceof UnrecoverableError) return true;
  return error.name === 'UnrecoverableError' && (error as { code?: unknown }).code === MonqueErrorCode.UNRECOVERABLE;
}

/**
 * Whether `error` is a {@link RateLimitError} (also one of another copy of `@monque/core`, by its
 * name, code and a valid `retryAfterMs`).
 */
export function isRateLimited(error: Error): error is RateLimitError {
  const { code, retryAfterMs } = error as { code?: unknown; retryAfterMs?: unknown };
  return (
    error.name === 'RateLimitError' &&
    code === MonqueErrorCode.RATE_LIMITED &&
    typeof retryAfterMs === 'number' &&
    retryAfterMs >= 0
  );
}
