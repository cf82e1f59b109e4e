/**
 * `@monque/core`: a MongoDB-backed job scheduler. Every export is listed by name.
 */
export { systemClock } from './clock.js';
export {
  ConnectionError,
  DuplicateWorkerError,
  InvalidArgumentError,
  InvalidCronError,
  JobCancelledError,
  JobLockLostError,
  JobStateError,
  JobTimeoutError,
  MonqueError,
  MonqueErrorCode,
  type MonqueErrorCodeType,
  ShutdownTimeoutError,
  UnrecoverableError,
} from './errors/index.js';
export type { MonqueListener } from './events.js';
export { MAX_FLOW_JOBS } from './flow-spec.js';
export { MAX_DEPENDENCIES } from './job-options.js';
export { MAX_ENQUEUE_MANY, Monque } from './monque.js';
export { DEFAULT_OPTIONS, KNOWN_OPTIONS, type ResolvedMonqueOptions, type ResolvedRetention } from './options.js';
export { calculateBackoff, calculateBackoffDelay, MAX_BACKOFF_DELAY_MS } from './retry/backoff.js';
export { isValidTimezone, nextCronTime, validateCronExpression } from './schedule/cron.js';
export { suggestOption } from './suggest.js';
export {
  type AnyJobOf,
  type BackoffOptions,
  type BulkResult,
  type CancelOptions,
  type Clock,
  type DataFieldValue,
  type DeadLetterOrigin,
  type DeduplicationOutcome,
  type DefaultJobName,
  type DependencyFailurePolicy,
  type DependencyResult,
  type EnqueueManyItem,
  type EnqueueManyItemOf,
  type EnqueueManyOptions,
  type EnqueueOptions,
  type FlowJobOptions,
  type FlowNode,
  type FlowOptions,
  type FlowSpec,
  type FlowSpecOf,
  type IsUntypedJobMap,
  JOB_STATUSES,
  type Job,
  type JobChangedEvent,
  type JobCompleteEvent,
  type JobContext,
  type JobDataOf,
  type JobDeduplicatedEvent,
  type JobDeletedEvent,
  type JobErrorEvent,
  type JobErrorRecord,
  type JobFailEvent,
  type JobHandler,
  type JobId,
  type JobList,
  type JobMap,
  type JobNameOf,
  type JobPage,
  type JobProgressEvent,
  type JobQuery,
  type JobRecoveredEvent,
  type JobSort,
  JobStatus,
  type JobStatusType,
  type JobsChangedEvent,
  type Logger,
  type MonqueEventMap,
  type MonqueOptions,
  type MonquePublicAPI,
  type NameStats,
  type PausedState,
  type QueuePauseEvent,
  type QueueStats,
  type RetentionOptions,
  type RunPolicyOptions,
  type ScheduleOptions,
  type StatusCounts,
  type TelemetryOptions,
  type ThroughputBucket,
  type WakeupFallbackEvent,
  type WorkerOptions,
} from './types.js';
export { MAX_DATA_BYTES } from './validation/data.js';
export { MAX_DEDUPE_WINDOW_MS } from './validation/dedupe-options.js';
export { MAX_GROUP_LENGTH } from './validation/job-options.js';
export { MAX_NAME_LENGTH } from './validation.js';
