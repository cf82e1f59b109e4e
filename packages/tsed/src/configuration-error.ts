import { MonqueError, MonqueErrorCode } from '@monque/core';

/**
 * The Ts.ED integration is configured in a way that cannot work (no connection, a `@Job` class
 * without its handler method, bad `@Job` options). Thrown at boot.
 */
export class MonqueConfigurationError extends MonqueError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(MonqueErrorCode.INVALID_ARGUMENT, message, options);
    this.name = 'MonqueConfigurationError';
  }
}
