import { MonqueError, MonqueErrorCode } from './monque-error.js';

/** Bad input to a public method or constructor; nothing was written. */
export class InvalidArgumentError extends MonqueError {
  /** The argument or option at fault, e.g. `'name'` or `'options.pollInterval'`. */
  readonly argument: string;

  constructor(argument: string, message: string) {
    super(MonqueErrorCode.INVALID_ARGUMENT, `${argument}: ${message}`);
    this.name = 'InvalidArgumentError';
    this.argument = argument;
  }
}
