/**
 * What a finished run means for its job: pure decisions, no I/O. The same rules serve handler
 * failures and stale recoveries, so a job that kills its worker every time also ends `failed`.
 */
import { calculateBackoff } from '../retry/backoff.js';
import { nextCronTime } from '../schedule/cron.js';
import type { Transition } from '../store/job-store.js';
import { type Job, JobStatus } from '../types.js';

/** The settings the decisions depend on. */
export interface RetryPolicy {
  readonly maxRetries: number;
  readonly baseRetryInterval: number;
}

/**
 * The next time of a recurring job: the first cron time after the time it was scheduled for
 * (no drift from run duration); occurrences missed while nothing ran are skipped, not replayed.
 */
export function nextOccurrence(job: Job, now: Date): Date {
  const cron = job.repeatInterval as string;
  const next = nextCronTime(cron, job.nextRunAt, job.timezone);
  return next.getTime() > now.getTime() ? next : nextCronTime(cron, now, job.timezone);
}

/** A successful run. */
export function decideSuccess(job: Job, now: Date): Transition {
  if (job.repeatInterval) {
    return {
      status: JobStatus.PENDING,
      nextRunAt: nextOccurrence(job, now),
      failCount: 0,
      failReason: null,
      completedAt: now,
    };
  }
  return { status: JobStatus.COMPLETED, completedAt: now };
}

/** A failed run (or a recovery, which counts as one); `willRetry` says whether it runs again. */
export function decideFailure(
  job: Job,
  reason: string,
  now: Date,
  policy: RetryPolicy,
  retryAt?: Date,
): { transition: Transition; willRetry: boolean } {
  const failCount = job.failCount + 1;
  if (failCount < policy.maxRetries) {
    const nextRunAt = retryAt ?? calculateBackoff(now, failCount, policy.baseRetryInterval);
    return { transition: { status: JobStatus.PENDING, nextRunAt, failCount, failReason: reason }, willRetry: true };
  }
  if (job.repeatInterval) {
    // The occurrence failed for good; the schedule goes on.
    return {
      transition: { status: JobStatus.PENDING, nextRunAt: nextOccurrence(job, now), failCount: 0, failReason: reason },
      willRetry: true,
    };
  }
  return { transition: { status: JobStatus.FAILED, failCount, failReason: reason }, willRetry: false };
}

/** Turns any thrown value into an Error with a useful message. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown === '' ? 'the handler threw an empty string' : thrown);
  if (thrown === undefined) return new Error('the handler threw undefined (or rejected with no reason)');
  if (thrown === null) return new Error('the handler threw null');
  if (typeof thrown === 'object') {
    const message = (thrown as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return Object.assign(new Error(message), { cause: thrown });
    let text: string;
    try {
      text = JSON.stringify(thrown);
    } catch {
      text = Object.prototype.toString.call(thrown);
    }
    return Object.assign(new Error(`the handler threw a non-Error value: ${text}`), { cause: thrown });
  }
  return new Error(`the handler threw a non-Error value: ${String(thrown)}`);
}

/** The `failReason` stored for an error: its message, or its name when the message is empty. */
export function failReasonOf(error: Error): string {
  return error.message !== '' ? error.message : error.name || 'Error';
}
