import { MonqueError, MonqueErrorCode } from './monque-error.js';

/** A run took longer than its `timeout`: the reason of the handler's aborted `signal`, and its failure. */
export class JobTimeoutError extends MonqueError {
  /** The time limit in ms. */
  readonly timeout: number;

  constructor(timeout: number) {
    super(MonqueErrorCode.JOB_TIMEOUT, `the run took longer than its timeout of ${timeout} ms`);
    this.name = 'JobTimeoutError';
    this.timeout = timeout;
  }
}
