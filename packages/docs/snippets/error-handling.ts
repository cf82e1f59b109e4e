/**
 * Failures, retries and the errors Monque itself raises.
 */
import {
  calculateBackoffDelay,
  type Job,
  type Monque,
  MonqueError,
  MonqueErrorCode,
  ShutdownTimeoutError,
} from '@monque/core';

/** The payload of a `charge-card` job. */
export interface ChargeRequest {
  orderId: string;
  amountCents: number;
}

/** A failure the handler can recognise; any thrown value works, an `Error` subclass reads best. */
export class PaymentDeclinedError extends Error {
  override readonly name = 'PaymentDeclinedError';

  constructor(readonly orderId: string) {
    super(`payment for order ${orderId} was declined`);
  }
}

/** A worker whose failures are retried. */
export function registerChargeWorker(monque: Monque, charge: (request: ChargeRequest) => Promise<void>): void {
  // #region handler
  monque.worker<ChargeRequest>('charge-card', async (job) => {
    // A throw or a rejection is a failure: failCount += 1, failReason = the message,
    // and the job is due again after 2^failCount × baseRetryInterval.
    await charge(job.data);
  });
  // #endregion handler
}

/** A worker that gives up on errors retrying cannot fix. */
export function registerGivingUpWorker(
  monque: Monque,
  charge: (request: ChargeRequest) => Promise<void>,
  markOrderDeclined: (orderId: string) => Promise<void>,
): void {
  // #region no-retry
  monque.worker<ChargeRequest>('charge-card', async (job) => {
    try {
      await charge(job.data);
    } catch (error) {
      if (error instanceof PaymentDeclinedError) {
        // Retrying will not help: record it and return, so the job completes.
        await markOrderDeclined(job.data.orderId);
        return;
      }
      throw error; // anything else is retried
    }
  });
  // #endregion no-retry
}

/** Listening to failures. */
export function watchFailures(monque: Monque, alert: (message: string) => void): void {
  // #region events
  monque.on('job:fail', ({ job, error, willRetry }) => {
    if (willRetry) {
      console.warn(`${job.name} failed (${job.failCount} so far), due again at ${job.nextRunAt.toISOString()}`);
    } else {
      alert(`${job.name} ${job._id.toHexString()} failed for good: ${error.message}`);
    }
  });

  monque.on('job:error', ({ error, job }) => {
    // Not a handler failure: database errors while polling, a lost lock, a shutdown timeout.
    if (error instanceof ShutdownTimeoutError) {
      alert(`stopped with ${error.incompleteJobs.length} job(s) still running`);
    } else if (error instanceof MonqueError && error.code === MonqueErrorCode.JOB_LOCK_LOST) {
      console.warn(`result of ${job?._id.toHexString()} discarded: the job was recovered by another instance`);
    } else {
      console.error('monque:', error);
    }
  });
  // #endregion events
}

/** The retry schedule of the defaults (maxRetries 10, baseRetryInterval 1000). */
export function retrySchedule(maxRetries = 10, baseRetryInterval = 1000): number[] {
  // #region schedule
  // Delay before the run that follows failure n (n = 1 … maxRetries - 1):
  const delays = Array.from({ length: maxRetries - 1 }, (_, index) =>
    calculateBackoffDelay(index + 1, baseRetryInterval),
  );
  // with the defaults: [2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 512000] ms
  // #endregion schedule
  return delays;
}

/** The fields a failed job carries. */
export function describeFailure(job: Job): string {
  return `${job.status}: failed ${job.failCount} time(s), last because ${job.failReason ?? 'n/a'}`;
}
