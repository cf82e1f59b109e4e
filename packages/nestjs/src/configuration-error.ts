import { MonqueError, MonqueErrorCode } from '@monque/core';

/**
 * Stable codes of {@link MonqueConfigurationError}: which part of the configuration is at fault.
 * Branch on these (`error.configCode`), never on message text.
 */
export const MonqueConfigurationCode = {
  /** `MonqueModule` is imported without `forRoot()`/`forRootAsync()`, or `@Processor` classes run in an application that never imports it. */
  FOR_ROOT_MISSING: 'MONQUE_NEST_FOR_ROOT_MISSING',
  /** None of `db`, `client` or `uri` is given. */
  NO_CONNECTION: 'MONQUE_NEST_NO_CONNECTION',
  /** `db`, `client`, `uri` or `dbName` has a bad value, or more than one way to connect is given. */
  INVALID_CONNECTION: 'MONQUE_NEST_INVALID_CONNECTION',
  /** A module option (`worker`, `manualStart`, `unregisteredProcessors` …) has a bad value, or an option is unknown. */
  INVALID_MODULE_OPTION: 'MONQUE_NEST_INVALID_MODULE_OPTION',
  /** Two `@Processor` classes (or a class and a `monque.worker()` call) handle one job name. */
  DUPLICATE_PROCESSOR: 'MONQUE_NEST_DUPLICATE_PROCESSOR',
  /** A `@Processor` class has no `process(job, context)` method. */
  MISSING_PROCESS_METHOD: 'MONQUE_NEST_MISSING_PROCESS_METHOD',
  /** A `@Processor` class is not a provider of any module of the application. */
  UNREGISTERED_PROCESSOR: 'MONQUE_NEST_UNREGISTERED_PROCESSOR',
  /** A `@Processor` name or worker option is invalid (empty name, bad concurrency, retry policy …). */
  INVALID_PROCESSOR_OPTIONS: 'MONQUE_NEST_INVALID_PROCESSOR_OPTIONS',
} as const;

/** One of {@link MonqueConfigurationCode}'s values. */
export type MonqueConfigurationCodeType = (typeof MonqueConfigurationCode)[keyof typeof MonqueConfigurationCode];

/**
 * The NestJS integration is configured in a way that cannot work. Thrown while the application
 * bootstraps (`NestFactory.create()`, `app.init()`, `app.listen()`), with a message that says what
 * to change.
 *
 * `code` is core's `MONQUE_INVALID_ARGUMENT` for every configuration error (so code that branches on
 * core's codes keeps working); `configCode` says exactly what is wrong.
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
