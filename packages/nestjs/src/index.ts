/**
 * `@monque/nestjs`: Monque for NestJS 11 and 12. Every export is listed by name; core's exports
 * follow, so `Monque`, `JobStatus`, the errors and types come from this package too.
 */

export * from '@monque/core';
export {
  MonqueConfigurationCode,
  type MonqueConfigurationCodeType,
  MonqueConfigurationError,
} from './configuration-error.js';
export type { MonqueConnection } from './connection.js';
export {
  MONQUE_CONNECTION,
  MONQUE_MODULE_OPTIONS,
  ON_JOB_EVENT_METADATA,
  PROCESSOR_METADATA,
} from './constants.js';
export {
  DEFAULT_HEALTH_CHECK_TIMEOUT,
  type MonqueHealthCheckOptions,
  MonqueHealthIndicator,
  type MonqueHealthIndicatorResult,
  type MonqueHealthReport,
} from './health-indicator.js';
export { InjectMonque } from './inject-monque.js';
export { currentJob, currentJobContext } from './job-context.js';
export { JOB_REF } from './job-ref.js';
export type {
  MonqueConnectionOptions,
  MonqueModuleAsyncOptions,
  MonqueModuleOptions,
  MonqueOptionsFactory,
  MonqueRootOptions,
  UnregisteredProcessorsMode,
} from './module-options.js';
export { MODULE_OPTION_KEYS } from './module-options-check.js';
export { MonqueLifecycle } from './monque-lifecycle.js';
export { MonqueModule } from './monque-module.js';
export { nestLogger } from './nest-logger.js';
export {
  getOnJobEventMetadata,
  OnJobEvent,
  type OnJobEventMetadata,
  type OnJobEventOptions,
} from './on-job-event-decorator.js';
export {
  getProcessorMetadata,
  type MonqueProcessor,
  Processor,
  type ProcessorMetadata,
  type ProcessorOptions,
} from './processor-decorator.js';
