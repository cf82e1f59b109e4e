/**
 * `@monque/core`: a MongoDB-backed job scheduler. Every export is listed by name.
 */
export { systemClock } from './clock.js';
export {
  ConnectionError,
  DuplicateWorkerError,
  InvalidArgumentError,
  InvalidCronError,
  JobLockLostError,
  MonqueError,
  MonqueErrorCode,
  type MonqueErrorCodeType,
  ShutdownTimeoutError,
} from './errors/index.js';
export type { MonqueListener } from './events.js';
export { MAX_ENQUEUE_MANY, Monque } from './monque.js';
export { DEFAULT_OPTIONS, type ResolvedMonqueOptions } from './options.js';
export { calculateBackoff, calculateBackoffDelay, MAX_BACKOFF_DELAY_MS } from './retry/backoff.js';
export { isValidTimezone, nextCronTime, validateCronExpression } from './schedule/cron.js';
export {
  type Clock,
  type EnqueueManyItem,
  type EnqueueOptions,
  type Job,
  type JobCompleteEvent,
  type JobErrorEvent,
  type JobFailEvent,
  type JobHandler,
  type JobRecoveredEvent,
  JobStatus,
  type JobStatusType,
  type MonqueEventMap,
  type MonqueOptions,
  type MonquePublicAPI,
  type ScheduleOptions,
  type WakeupFallbackEvent,
  type WorkerOptions,
} from './types.js';
export { MAX_DATA_BYTES, MAX_NAME_LENGTH } from './validation.js';
