import type { ObjectId } from 'mongodb';
import type { JobStatusType } from '../job.js';
import { MonqueError, MonqueErrorCode } from './monque-error.js';

/**
 * An operation the job's state does not allow (e.g. deleting a running job, retrying a pending
 * one, or retrying a job whose unique key another active job holds). Nothing was changed.
 */
export class JobStateError extends MonqueError {
  /** The job's id. */
  readonly jobId: ObjectId;
  /** The job's status when the operation was refused. */
  readonly status: JobStatusType;

  constructor(jobId: ObjectId, status: JobStatusType, message: string) {
    super(MonqueErrorCode.JOB_STATE, `job ${jobId.toHexString()} is ${status}: ${message}`);
    this.name = 'JobStateError';
    this.jobId = jobId;
    this.status = status;
  }
}
