import type { Job } from '../types.js';
import { MonqueError, MonqueErrorCode } from './monque-error.js';

/** `stop()` gave up waiting for running jobs after `shutdownTimeout`. */
export class ShutdownTimeoutError extends MonqueError {
  /** The jobs whose handlers were still running. */
  readonly incompleteJobs: Job[];

  constructor(timeoutMs: number, incompleteJobs: Job[]) {
    super(
      MonqueErrorCode.SHUTDOWN_TIMEOUT,
      `stop() waited ${timeoutMs} ms; ${incompleteJobs.length} job(s) still running: ${incompleteJobs
        .map((job) => `${job.name} ${job._id.toHexString()}`)
        .join(', ')}`,
    );
    this.name = 'ShutdownTimeoutError';
    this.incompleteJobs = incompleteJobs;
  }
}
