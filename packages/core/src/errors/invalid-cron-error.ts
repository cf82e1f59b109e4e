import { MonqueError, MonqueErrorCode } from './monque-error.js';

/** A cron expression that cannot be used; the message says what is wrong, where, and shows a valid example. */
export class InvalidCronError extends MonqueError {
  /** The expression as given. */
  readonly expression: string;

  constructor(expression: string, message: string) {
    super(MonqueErrorCode.INVALID_CRON, message);
    this.name = 'InvalidCronError';
    this.expression = expression;
  }
}
