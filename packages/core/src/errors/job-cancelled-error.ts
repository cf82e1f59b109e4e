import { MonqueError, MonqueErrorCode } from './monque-error.js';

/** `cancelJob` stopped a running job: the reason of its handler's aborted `signal`. */
export class JobCancelledError extends MonqueError {
  /** The reason given to `cancelJob`, if any. */
  readonly reason: string | undefined;

  constructor(reason?: string) {
    super(MonqueErrorCode.JOB_CANCELLED, reason ? `the job was cancelled: ${reason}` : 'the job was cancelled');
    this.name = 'JobCancelledError';
    this.reason = reason;
  }
}
