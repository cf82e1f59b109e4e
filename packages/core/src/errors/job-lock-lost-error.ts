import { MonqueError, MonqueErrorCode } from './monque-error.js';

/**
 * This instance no longer holds a job it was running: its lock was not renewed in time and the job
 * was recovered (possibly claimed by another instance), or its claim was released; or this instance
 * could not renew the lock for `lockTimeout − heartbeatInterval` and stops before another instance
 * may take the job over (the job is given back once the handler settles). The run's `signal`
 * aborts with this error, and its outcome is not written.
 */
export class JobLockLostError extends MonqueError {
  /** The job's id (hex). */
  readonly jobId: string;

  constructor(jobId: string, detail = 'its lock was taken over (it was recovered as stale)') {
    super(MonqueErrorCode.JOB_LOCK_LOST, `job ${jobId}: this instance no longer holds it: ${detail}`);
    this.name = 'JobLockLostError';
    this.jobId = jobId;
  }
}
