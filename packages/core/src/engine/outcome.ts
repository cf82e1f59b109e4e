/**
 * What a finished run means for its job: pure decisions, no I/O. The same rules serve handler
 * failures, timeouts and stale recoveries, so a job that kills its worker every time also ends
 * `failed`.
 */
import type { BackoffOptions, Job } from '../job.js';
import { JobStatus, type JobStatusType } from '../job.js';
import type { RunPolicyOptions } from '../job-options.js';
import type { ResolvedRetention } from '../options.js';
import { backoffDelay, dueAfter, LATEST_DATE_MS } from '../retry/backoff.js';
import { nextCronTime } from '../schedule/cron.js';
import type { JobDocument } from '../store/job-document.js';
import type { Transition } from '../store/outcome-store.js';
import { errorsAfterFailure, type FailedAttempt } from './attempt-history.js';

/** The retry rules in force for one job. */
export interface RetryPolicy {
  readonly maxRetries: number;
  readonly backoff: BackoffOptions;
}

/** The instance's settings the decisions depend on. */
export interface DecisionSettings {
  readonly maxRetries: number;
  readonly baseRetryInterval: number;
  readonly maxBackoffDelay: number;
  readonly retention: ResolvedRetention | false;
  /** A number in [0, 1) for jitter. */
  readonly random?: () => number;
  /** Stale recoveries of one job not charged as failures (see `MonqueOptions.maxStalls`). @defaultValue 1 */
  readonly maxStalls?: number;
}

/** The job's own settings, else its worker's, else the instance's. */
export function policyFor(job: Job, worker: RunPolicyOptions | undefined, settings: DecisionSettings): RetryPolicy {
  return {
    maxRetries: job.maxRetries ?? worker?.maxRetries ?? settings.maxRetries,
    backoff: job.backoff ?? worker?.backoff ?? { type: 'exponential', delay: settings.baseRetryInterval },
  };
}

/**
 * The retry rules of a job as any instance recovering it sees them: the job's own, else the limit
 * stamped by the claim that ran it (its worker's there), else `worker` (this instance's worker of
 * that name, if any), else the instance's defaults.
 */
export function recoveryPolicyFor(
  job: JobDocument,
  worker: RunPolicyOptions | undefined,
  settings: DecisionSettings,
): RetryPolicy {
  const stamped = job.retryLimit === undefined ? worker : { ...worker, maxRetries: job.retryLimit };
  return policyFor(job, stamped, settings);
}

/** When retention deletes a job that reached `status` at `at` (none for unfinished jobs or `Infinity`). */
export function expiryOf(status: JobStatusType, at: Date, retention: ResolvedRetention | false): Date | undefined {
  if (retention === false) return undefined;
  const keep =
    status === JobStatus.COMPLETED
      ? retention.completed
      : status === JobStatus.FAILED
        ? retention.failed
        : status === JobStatus.CANCELLED
          ? retention.cancelled
          : Number.POSITIVE_INFINITY;
  // Kept forever when the time would be past the latest Date (an invalid one would be taken for 1970).
  return Number.isFinite(keep) && at.getTime() + keep <= LATEST_DATE_MS ? new Date(at.getTime() + keep) : undefined;
}

function finished(status: JobStatusType, at: Date, settings: DecisionSettings): Partial<Transition> {
  const expireAt = expiryOf(status, at, settings.retention);
  return expireAt ? { finishedAt: at, expireAt } : { finishedAt: at };
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

/** A successful run that returned `result`. */
export function decideSuccess(job: Job, result: unknown, now: Date, settings: DecisionSettings): Transition {
  const stored = result === undefined ? {} : { result: { value: result } };
  if (job.repeatInterval) {
    // Each run of a recurring job leaves its own result: none when it returned nothing.
    return {
      status: JobStatus.PENDING,
      at: now,
      nextRunAt: nextOccurrence(job, now),
      failCount: 0,
      failReason: null,
      completedAt: now,
      ...(result === undefined ? { result: null } : stored),
    };
  }
  return {
    status: JobStatus.COMPLETED,
    at: now,
    completedAt: now,
    ...finished(JobStatus.COMPLETED, now, settings),
    ...stored,
  };
}

/**
 * A failed run (or a recovery, which counts as one); `willRetry` says whether it runs again. Every
 * failure also adds the attempt to `job.errors` (see `attempt-history.ts`).
 * @param options.unrecoverable - no retry, whatever is left (an `UnrecoverableError`)
 * @param options.retryAt - when to run again instead of the backoff (recoveries: at once)
 * @param options.attempt - the attempt's stack trace and duration, for `job.errors`
 */
export function decideFailure(
  job: Job,
  reason: string,
  now: Date,
  policy: RetryPolicy,
  settings: DecisionSettings,
  options: { unrecoverable?: boolean; retryAt?: Date; attempt?: FailedAttempt } = {},
): { transition: Transition; willRetry: boolean } {
  const failCount = job.failCount + 1;
  const errors = errorsAfterFailure(job, reason, now, options.attempt);
  if (!options.unrecoverable && failCount < policy.maxRetries) {
    const delay = backoffDelay(policy.backoff, failCount, settings.maxBackoffDelay, settings.random);
    const nextRunAt = options.retryAt ?? dueAfter(now, delay);
    return {
      transition: { status: JobStatus.PENDING, at: now, nextRunAt, failCount, failReason: reason, errors },
      willRetry: true,
    };
  }
  if (job.repeatInterval) {
    // The occurrence failed for good; the schedule goes on.
    return {
      transition: {
        status: JobStatus.PENDING,
        at: now,
        nextRunAt: nextOccurrence(job, now),
        failCount: 0,
        failReason: reason,
        errors,
      },
      willRetry: true,
    };
  }
  return {
    transition: {
      status: JobStatus.FAILED,
      at: now,
      failCount,
      failReason: reason,
      errors,
      ...finished(JobStatus.FAILED, now, settings),
    },
    willRetry: false,
  };
}

/** What a stale recovery decided for one job. */
export interface RecoveryDecision {
  readonly transition: Transition;
  /** Whether the job will run again. */
  readonly willRetry: boolean;
  /** Whether the recovery was a stall: no failure charged. */
  readonly stalled: boolean;
}

/**
 * A job recovered from an owner that stopped renewing its lock (see `stale-recovery.ts`). A job
 * whose cancellation was requested ends `cancelled`. Otherwise the first `maxStalls` recoveries
 * (since the job's last retry; `maxStalls` as stamped by the claim that ran it, else this
 * instance's) are stalls: `pending`, due `at`, no failure charged, recorded in the attempt history; later ones are failed attempts under the job's `policy`, due at once when
 * they retry (no backoff: nothing the job did asks for one).
 */
export function decideRecovery(
  job: JobDocument,
  reason: string,
  at: Date,
  policy: RetryPolicy,
  settings: DecisionSettings,
): RecoveryDecision {
  if (job.cancelRequestedAt) return { transition: decideCancelled(at, settings), willRetry: false, stalled: false };
  const stalls = (job.stalls ?? 0) + 1;
  const allowed = job.stallLimit ?? settings.maxStalls ?? 1;
  if (stalls <= allowed) {
    const message = `stalled (no failure charged, stall ${stalls} of ${allowed} allowed): ${reason}`;
    return {
      transition: {
        status: JobStatus.PENDING,
        at,
        nextRunAt: at,
        stalls,
        errors: errorsAfterFailure(job, message, at),
      },
      willRetry: true,
      stalled: true,
    };
  }
  const { transition, willRetry } = decideFailure(job, reason, at, policy, settings, { retryAt: at });
  return { transition: { ...transition, stalls }, willRetry, stalled: false };
}

/**
 * A run whose handler threw a `RateLimitError`: `pending` again, due `retryAfterMs` from now, the
 * attempt not counted and no failure recorded (a recurring job keeps its schedule).
 */
export function decideRateLimited(now: Date, retryAfterMs: number): Transition {
  return { status: JobStatus.PENDING, at: now, nextRunAt: new Date(now.getTime() + retryAfterMs), uncharged: true };
}

/** A run stopped by `cancelJob`: `cancelled`, never retried (a recurring job's schedule ends too). */
export function decideCancelled(now: Date, settings: DecisionSettings): Transition {
  return { status: JobStatus.CANCELLED, at: now, ...finished(JobStatus.CANCELLED, now, settings) };
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

/**
 * Longest `failReason` stored, in characters (64 Ki): a longer message is cut, saying how much was
 * left out, so an outcome is never refused for the size of an error message.
 */
export const MAX_FAIL_REASON_CHARS = 64 * 1024;

/**
 * The `failReason` stored for an error: its message, or its name when the message is empty, cut to
 * {@link MAX_FAIL_REASON_CHARS}.
 */
export function failReasonOf(error: Error): string {
  const reason = error.message !== '' ? error.message : error.name || 'Error';
  if (reason.length <= MAX_FAIL_REASON_CHARS) return reason;
  return `${reason.slice(0, MAX_FAIL_REASON_CHARS)}… (${reason.length - MAX_FAIL_REASON_CHARS} more characters)`;
}

/** The job as it is after `transition` (for event payloads). */
export function jobAfter(job: Job, transition: Transition): Job {
  const next: Job = { ...job, status: transition.status, lockedAt: null, updatedAt: transition.at };
  delete next.owner;
  if (transition.nextRunAt) next.nextRunAt = transition.nextRunAt;
  if (transition.failCount !== undefined) next.failCount = transition.failCount;
  if (typeof transition.failReason === 'string') next.failReason = transition.failReason;
  if (transition.failReason === null) delete next.failReason;
  if (transition.errors) next.errors = transition.errors;
  if (transition.completedAt) next.completedAt = transition.completedAt;
  if (transition.finishedAt) next.finishedAt = transition.finishedAt;
  if (transition.result) next.result = transition.result.value;
  if (transition.result === null) delete next.result;
  if (transition.uncharged && next.attempts !== undefined) next.attempts -= 1;
  return next;
}
