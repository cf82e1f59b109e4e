/**
 * `@monque/tsed`: Monque for Ts.ED v8. Importing it registers `MonqueModule` and makes `Monque`,
 * `JobDispatcher` and `MonqueHealth` injectable. Every export is listed by name; core's exports follow.
 */

export * from '@monque/core';
export {
  MonqueConfigurationCode,
  type MonqueConfigurationCodeType,
  MonqueConfigurationError,
} from './configuration-error.js';
export { isDb, isMongooseConnection, type MongooseConnectionLike, resolveDb } from './connection.js';
export {
  JOB_METADATA_KEY,
  MONQUE_JOB_CONTEXT_KEY,
  MONQUE_JOB_PROVIDER_TYPE,
  MONQUE_MODULE_OPTIONS,
  MONQUE_RUN_CONTEXT_KEY,
} from './constants.js';
export { DUPLICATE_DI_MESSAGE, MonqueProvidedByAnotherDiCopy } from './duplicate-di-guard.js';
export { DuplicateJobHandlerError } from './duplicate-job-handler-error.js';
export { failureLogEntry, type JobFailureLogEntry } from './failure-log.js';
export { currentJob, currentJobContext } from './job-context.js';
export { getJobOptions, Job } from './job-decorator.js';
export { type JobClass, JobDispatcher, type JobPayloadOf, jobNameOf } from './job-dispatcher.js';
export type { JobHandlerClass } from './job-handler.js';
export type { JobOptions } from './job-options.js';
export type { MonqueModuleOptions } from './module-options.js';
export {
  DEFAULT_HEALTH_CHECK_TIMEOUT,
  MonqueHealth,
  type MonqueHealthCheckOptions,
  type MonqueHealthReport,
} from './monque-health.js';
export { MonqueModule } from './monque-module.js';
