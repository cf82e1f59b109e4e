import { MonqueError, MonqueErrorCode } from './monque-error.js';

/** The database could not be reached or refused an operation Monque needs (e.g. creating indexes). */
export class ConnectionError extends MonqueError {
  constructor(message: string, cause: unknown) {
    super(MonqueErrorCode.CONNECTION, message, { cause });
    this.name = 'ConnectionError';
  }
}
