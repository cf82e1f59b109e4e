/**
 * `@monque/tsed`: Monque for Ts.ED v8. Importing it registers `MonqueModule` and makes `Monque`
 * injectable. Every export is listed by name; core's exports follow.
 */

export * from '@monque/core';
export { MonqueConfigurationError } from './configuration-error.js';
export { isDb, isMongooseConnection, type MongooseConnectionLike, resolveDb } from './connection.js';
export {
  JOB_METADATA_KEY,
  MONQUE_JOB_CONTEXT_KEY,
  MONQUE_JOB_PROVIDER_TYPE,
  MONQUE_MODULE_OPTIONS,
} from './constants.js';
export { DuplicateJobHandlerError } from './duplicate-job-handler-error.js';
export { currentJob } from './job-context.js';
export { getJobOptions, Job } from './job-decorator.js';
export type { JobHandlerClass } from './job-handler.js';
export type { JobOptions } from './job-options.js';
export type { MonqueModuleOptions } from './module-options.js';
export { MonqueModule } from './monque-module.js';
