import { MonqueError, MonqueErrorCode } from '@monque/core';

/**
 * Stable codes of {@link MonqueConfigurationError}: which part of the configuration is at fault.
 * Branch on these (`error.configCode`), never on message text.
 */
export const MonqueConfigurationCode = {
  /** No connection is configured: no `monque.connection`, no `forRoot({ connection })`, no `@tsed/mongoose`. */
  NO_CONNECTION: 'MONQUE_TSED_NO_CONNECTION',
  /** `connection` is neither a mongodb `Db` nor a Mongoose `Connection`. */
  INVALID_CONNECTION: 'MONQUE_TSED_INVALID_CONNECTION',
  /** `connectionId` names no `@tsed/mongoose` connection, or `@tsed/mongoose` is not loaded. */
  UNKNOWN_CONNECTION_ID: 'MONQUE_TSED_UNKNOWN_CONNECTION_ID',
  /** A Ts.ED-only module option (`connectionTimeout`, `disableJobProcessing`, `logFailures` …) has a bad value. */
  INVALID_MODULE_OPTION: 'MONQUE_TSED_INVALID_MODULE_OPTION',
  /** A `@Job` class has no handler method (`handle`, or the one named by `method`). */
  MISSING_HANDLER_METHOD: 'MONQUE_TSED_MISSING_HANDLER_METHOD',
  /** A `@Job` option is invalid (empty name, bad cron, concurrency, retry policy …). */
  INVALID_JOB_OPTIONS: 'MONQUE_TSED_INVALID_JOB_OPTIONS',
  /**
   * `Monque` was built by a Ts.ED injector that does not know `@monque/tsed`'s provider: the
   * application and `@monque/tsed` load two copies of `@tsed/di`.
   */
  DUPLICATE_DI: 'MONQUE_TSED_DUPLICATE_DI',
} as const;

/** One of {@link MonqueConfigurationCode}'s values. */
export type MonqueConfigurationCodeType = (typeof MonqueConfigurationCode)[keyof typeof MonqueConfigurationCode];

/**
 * The Ts.ED integration is configured in a way that cannot work (no connection, a `@Job` class
 * without its handler method, bad `@Job` options, two copies of `@tsed/di`). Thrown at boot.
 *
 * `code` is core's `MONQUE_INVALID_ARGUMENT` for every configuration error (so handlers that branch on
 * core's codes keep working); `configCode` says exactly what is wrong.
 */
export class MonqueConfigurationError extends MonqueError {
  /** What is wrong, as a stable code (see {@link MonqueConfigurationCode}). */
  readonly configCode: MonqueConfigurationCodeType;

  constructor(configCode: MonqueConfigurationCodeType, message: string, options?: { cause?: unknown }) {
    super(MonqueErrorCode.INVALID_ARGUMENT, message, options);
    this.name = 'MonqueConfigurationError';
    this.configCode = configCode;
  }
}
