import type { Job } from '../types.js';
import { MonqueError, MonqueErrorCode } from './monque-error.js';

/**
 * `stop()` gave up waiting after `shutdownTimeout`: the signals of handlers still running abort with
 * it, and it is emitted as `job:error` listing the jobs not finished.
 */
export class ShutdownTimeoutError extends MonqueError {
  /** The jobs not finished: handlers still running first, then outcomes not yet written. */
  readonly incompleteJobs: Job[];

  constructor(timeoutMs: number, incompleteJobs: Job[]) {
    super(
      MonqueErrorCode.SHUTDOWN_TIMEOUT,
      `stop() waited ${timeoutMs} ms; ${incompleteJobs.length} job(s) not finished (handler still running, or outcome not yet written): ${incompleteJobs
        .map((job) => `${job.name} ${job._id.toHexString()}`)
        .join(', ')}`,
    );
    this.name = 'ShutdownTimeoutError';
    this.incompleteJobs = incompleteJobs;
  }
}
