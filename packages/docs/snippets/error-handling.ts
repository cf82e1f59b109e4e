/**
 * Failures, retries and the errors Monque itself raises.
 */
import {
  ConnectionError,
  calculateBackoffDelay,
  type Job,
  JobLockLostError,
  type Monque,
  MonqueError,
  MonqueErrorCode,
  ShutdownTimeoutError,
  UnrecoverableError,
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
export function registerChargeWorker(
  monque: Monque,
  charge: (request: ChargeRequest, signal: AbortSignal) => Promise<void>,
): void {
  // #region handler
  monque.worker<ChargeRequest>(
    'charge-card',
    async (job, { signal }) => {
      // A throw or a rejection is a failure: failCount += 1, failReason = the message,
      // and the job is due again after the backoff (here 2^failCount × 5 s, at most 10 min).
      await charge(job.data, signal);
    },
    { maxRetries: 5, backoff: { type: 'exponential', delay: 5_000, maxDelay: 600_000 }, timeout: 30_000 },
  );
  // #endregion handler
}

/** Per-job retry settings beat the worker's. */
export async function enqueueWithPolicy(monque: Monque, request: ChargeRequest): Promise<void> {
  // #region per-job
  // This job: 3 runs at most, 1 minute apart, whatever the worker or the instance say.
  await monque.enqueue('charge-card', request, {
    maxRetries: 3,
    backoff: { type: 'fixed', delay: 60_000 },
    timeout: 10_000, // its signal aborts with a JobTimeoutError after 10 s: a failure, retried
  });
  // #endregion per-job
}

/** A worker that fails for good on errors retrying cannot fix. */
export function registerGivingUpWorker(monque: Monque, charge: (request: ChargeRequest) => Promise<void>): void {
  // #region no-retry
  monque.worker<ChargeRequest>('charge-card', async (job) => {
    try {
      await charge(job.data);
    } catch (error) {
      // Retrying will not help: `failed` at once, whatever retries are left.
      if (error instanceof PaymentDeclinedError) throw new UnrecoverableError(error.message, { cause: error });
      throw error; // anything else is retried
    }
  });
  // #endregion no-retry
}

/** Listening to failures and to what is not a handler failure. */
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
    if (error instanceof ShutdownTimeoutError) {
      alert(`stop() gave ${error.incompleteJobs.length} unfinished job(s) back`);
    } else if (error instanceof JobLockLostError) {
      console.warn(`job ${error.jobId} was taken over by another instance; this run's outcome is not stored`);
    } else if (error instanceof MonqueError && error.code === MonqueErrorCode.LISTENER) {
      console.error('a listener failed:', error.cause);
    } else {
      // A database round trip of the engine failed (the driver's error); it is retried.
      console.error(`monque${job ? ` (job ${job._id.toHexString()})` : ''}:`, error.message);
    }
  });
  // #endregion events
}

/** Errors of public methods: bad input, or the database. */
export async function enqueueOrReport(monque: Monque, request: ChargeRequest): Promise<Job | undefined> {
  // #region connection
  try {
    return await monque.enqueue('charge-card', request);
  } catch (error) {
    if (error instanceof ConnectionError) {
      // The database did not answer within operationTimeout, or refused: the driver's error is the
      // cause. The job may or may not have been written (a lost reply): enqueue again with a
      // uniqueKey if a duplicate would hurt.
      console.error(error.message, error.cause);
      return undefined;
    }
    throw error; // InvalidArgumentError: a bug in the caller, nothing was written
  }
  // #endregion connection
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
