/**
 * Failed job runs, logged through Ts.ED's logger (as `@tsed/bullmq` does).
 */
import type { JobFailEvent, Monque } from '@monque/core';
import { logger } from '@tsed/di';

/** What is logged for one failed run: never the job's data, which may hold personal data or secrets. */
export interface JobFailureLogEntry {
  event: 'MONQUE_JOB_FAILED';
  jobName: string;
  jobId: string;
  /** The error's name, e.g. `'TypeError'` or `'JobTimeoutError'`. */
  errorName: string;
  /** The error's message. */
  error: string;
  /** Failures of this job so far, this one included. */
  failCount: number;
  /** `true` when the job will run again (a retry, or a recurring job's next time). */
  willRetry: boolean;
}

/** The log entry for a `job:fail` event. */
export function failureLogEntry({ job, error, willRetry }: JobFailEvent): JobFailureLogEntry {
  return {
    event: 'MONQUE_JOB_FAILED',
    jobName: job.name,
    jobId: job._id.toHexString(),
    errorName: error.name,
    error: error.message,
    failCount: job.failCount,
    willRetry,
  };
}

/**
 * Logs every failed run of `monque` through the current injector's logger (looked up at each
 * failure, so a logger replaced after boot is used): `warn` when the job will be retried, `error`
 * when it failed for good.
 * @returns a function that stops logging
 */
export function logFailures(monque: Monque): () => void {
  const listener = (event: JobFailEvent): void => {
    const entry = failureLogEntry(event);
    if (entry.willRetry) logger().warn(entry);
    else logger().error(entry);
  };
  monque.on('job:fail', listener);
  return () => {
    monque.off('job:fail', listener);
  };
}
