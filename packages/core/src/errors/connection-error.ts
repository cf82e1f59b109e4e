import { MonqueError, MonqueErrorCode } from './monque-error.js';

/** The database could not be reached or refused an operation Monque needs (e.g. creating indexes). */
export class ConnectionError extends MonqueError {
  /**
   * `true` when the call's write may have been applied although the call failed: a command was sent
   * and its outcome could not be learnt (no answer within `operationTimeout`, a reply lost, and for
   * an `enqueue` the job could not be read back), or a later command of the call failed after an
   * earlier one had changed something. This holds for every public method that writes: `enqueue`,
   * `enqueueMany`, `flow`, `schedule`, `unschedule` and the operations (`cancelJob`, `retryJob`,
   * `rescheduleJob`, `deleteJob`, `cancelJobs`, `retryJobs`, `deleteJobs`, `pause`, `resume`): look
   * before doing it again. `false` means nothing was written and nothing will be (the command never
   * left the driver, or what was sent is known to have changed nothing): an `enqueue` that rejects
   * with it can be retried without creating a second job. Always `false` for a read.
   * @defaultValue false
   */
  readonly mayHaveBeenApplied: boolean;

  constructor(message: string, cause: unknown, options: { mayHaveBeenApplied?: boolean } = {}) {
    super(MonqueErrorCode.CONNECTION, message, { cause });
    this.name = 'ConnectionError';
    this.mayHaveBeenApplied = options.mayHaveBeenApplied ?? false;
  }
}
