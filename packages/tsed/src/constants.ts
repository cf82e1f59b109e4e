/**
 * Tokens and keys shared by the `@monque/tsed` modules.
 */

/** Key under which `@Job` stores its {@link JobOptions} in the class's Ts.ED `Store`. */
export const JOB_METADATA_KEY = 'monque:job';

/** Ts.ED provider type of `@Job` classes: `injector().providers.getMany(MONQUE_JOB_PROVIDER_TYPE)` lists them. */
export const MONQUE_JOB_PROVIDER_TYPE = 'monque:job';

/** DI token of the options given to `MonqueModule.forRoot()`. */
export const MONQUE_MODULE_OPTIONS: unique symbol = Symbol.for('MONQUE_MODULE_OPTIONS');

/** Key under which the running job is stored in its `DIContext` (`context().get(MONQUE_JOB_CONTEXT_KEY)`). */
export const MONQUE_JOB_CONTEXT_KEY = 'MONQUE_JOB';

/**
 * Key under which the run's handler context (`{ signal, progress }`) is stored in the job's
 * `DIContext` (`context().get(MONQUE_RUN_CONTEXT_KEY)`).
 */
export const MONQUE_RUN_CONTEXT_KEY = 'MONQUE_RUN';

/**
 * `@tsed/mongoose`'s token for its connections service. Referenced through `Symbol.for` so that
 * `@tsed/mongoose` stays an optional peer: without it, `inject()` of this token returns `undefined`.
 */
export const MONGOOSE_CONNECTIONS_TOKEN = Symbol.for('MONGOOSE_CONNECTIONS');
