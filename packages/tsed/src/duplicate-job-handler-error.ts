import { MonqueError, MonqueErrorCode } from '@monque/core';

/** Two handlers (two `@Job` classes, or a class and a `monque.worker()` call) claim one job name. Thrown at boot. */
export class DuplicateJobHandlerError extends MonqueError {
  /** The job name. */
  readonly jobName: string;
  /** The handlers that claim it (class names; `'monque.worker()'` for a handler registered by hand). */
  readonly handlers: readonly string[];

  constructor(jobName: string, handlers: readonly string[]) {
    super(
      MonqueErrorCode.DUPLICATE_WORKER,
      `job name '${jobName}' has more than one handler: ${handlers.join(', ')}; each job name needs exactly one @Job class`,
    );
    this.name = 'DuplicateJobHandlerError';
    this.jobName = jobName;
    this.handlers = handlers;
  }
}
