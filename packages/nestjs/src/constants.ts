/**
 * Tokens and metadata keys shared by the `@monque/nestjs` modules. Metadata keys are strings, not
 * `Symbol()`s, so that the ESM and the CommonJS build of this package read each other's metadata
 * when an application happens to load both.
 */

/** DI token of the options given to `MonqueModule.forRoot()` (or returned by `forRootAsync()`'s factory). */
export const MONQUE_MODULE_OPTIONS = 'MONQUE_MODULE_OPTIONS';

/** DI token of the module's database connection (the `Db`, and the client when the module owns it). */
export const MONQUE_CONNECTION = 'MONQUE_CONNECTION';

/** Metadata key under which `@Processor` stores its {@link ProcessorMetadata} on the class. */
export const PROCESSOR_METADATA = 'monque:processor';

/** Metadata key under which `@OnJobEvent` stores its listeners on the method. */
export const ON_JOB_EVENT_METADATA = 'monque:on-job-event';

/** The method a `@Processor` class implements. */
export const PROCESS_METHOD = 'process';

/** The Nest logger context of this package's messages. */
export const LOGGER_CONTEXT = 'Monque';
