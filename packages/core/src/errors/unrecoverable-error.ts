import { MonqueError, MonqueErrorCode } from './monque-error.js';

/**
 * Throw it from a handler when retrying cannot help (bad input, a permanent refusal): the job is
 * `failed` at once, whatever retries it has left. A recurring job keeps its schedule.
 */
export class UnrecoverableError extends MonqueError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(MonqueErrorCode.UNRECOVERABLE, message, options);
    this.name = 'UnrecoverableError';
  }
}
