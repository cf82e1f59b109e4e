import { MonqueError, MonqueErrorCode } from './monque-error.js';

/** The database could not be reached or refused an operation Monque needs (e.g. creating indexes). */
export class ConnectionError extends MonqueError {
  /**
   * `true` when the write may have been applied although the call failed: its command was sent and
   * its outcome could not be learnt (no answer within `operationTimeout`, a reply lost and the
   * job could not be read back). `false` means nothing was written: an `enqueue` that rejects with
   * it can be retried without creating a second job.
   * @defaultValue false
   */
  readonly mayHaveBeenApplied: boolean;

  constructor(message: string, cause: unknown, options: { mayHaveBeenApplied?: boolean } = {}) {
    super(MonqueErrorCode.CONNECTION, message, { cause });
    this.name = 'ConnectionError';
    this.mayHaveBeenApplied = options.mayHaveBeenApplied ?? false;
  }
}
