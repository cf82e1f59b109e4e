import { MonqueError, MonqueErrorCode } from './monque-error.js';

/**
 * This instance finished a job it no longer owns (its lock expired and the job was recovered,
 * possibly claimed by another instance). Its result was not written.
 */
export class JobLockLostError extends MonqueError {
  constructor(jobId: string, outcome: 'completion' | 'failure') {
    super(
      MonqueErrorCode.JOB_LOCK_LOST,
      `job ${jobId}: its ${outcome} was not stored because this instance no longer holds the job's lock (it was recovered as stale)`,
    );
    this.name = 'JobLockLostError';
  }
}
