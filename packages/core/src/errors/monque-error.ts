/** Stable codes of Monque's errors: branch on these (or the class), never on message text. */
export const MonqueErrorCode = {
  INVALID_ARGUMENT: 'MONQUE_INVALID_ARGUMENT',
  INVALID_CRON: 'MONQUE_INVALID_CRON',
  CONNECTION: 'MONQUE_CONNECTION',
  SHUTDOWN_TIMEOUT: 'MONQUE_SHUTDOWN_TIMEOUT',
  JOB_LOCK_LOST: 'MONQUE_JOB_LOCK_LOST',
  DUPLICATE_WORKER: 'MONQUE_DUPLICATE_WORKER',
  LISTENER: 'MONQUE_LISTENER',
  JOB_STATE: 'MONQUE_JOB_STATE',
  JOB_TIMEOUT: 'MONQUE_JOB_TIMEOUT',
  JOB_CANCELLED: 'MONQUE_JOB_CANCELLED',
  UNRECOVERABLE: 'MONQUE_UNRECOVERABLE',
  RATE_LIMITED: 'MONQUE_RATE_LIMITED',
} as const;

/** One of {@link MonqueErrorCode}'s values. */
export type MonqueErrorCodeType = (typeof MonqueErrorCode)[keyof typeof MonqueErrorCode];

/** Base class of every error Monque throws or emits. */
export class MonqueError extends Error {
  /** A stable code identifying the kind of error. */
  readonly code: MonqueErrorCodeType;

  constructor(code: MonqueErrorCodeType, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MonqueError';
    this.code = code;
  }
}
