import { MonqueError, MonqueErrorCode } from './monque-error.js';

/** A second handler was registered for a job name that already has one in this instance. */
export class DuplicateWorkerError extends MonqueError {
  /** The job name. */
  readonly jobName: string;

  constructor(jobName: string) {
    super(MonqueErrorCode.DUPLICATE_WORKER, `a worker for job name '${jobName}' is already registered`);
    this.name = 'DuplicateWorkerError';
    this.jobName = jobName;
  }
}
