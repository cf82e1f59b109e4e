/**
 * Public types of `@monque/core`, gathered from the files that define them (one concept per file):
 * `job.ts` (the job and its statuses), `job-options.ts` (per-job and worker options, handlers),
 * `monque-options.ts` (instance options), `queries.ts` (the operations API's inputs and outputs),
 * `event-map.ts` (events), `job-map.ts` (typed jobs) and `public-api.ts` (the methods).
 */

export type {
  DeduplicationOutcome,
  JobChangedEvent,
  JobCompleteEvent,
  JobDeduplicatedEvent,
  JobDeletedEvent,
  JobErrorEvent,
  JobFailEvent,
  JobProgressEvent,
  JobRecoveredEvent,
  JobsChangedEvent,
  MonqueEventMap,
  QueuePauseEvent,
  WakeupFallbackEvent,
} from './event-map.js';
export type { FlowJobOptions, FlowNode, FlowOptions, FlowSpec, FlowSpecOf } from './flow-spec.js';
export {
  type BackoffOptions,
  type DeadLetterOrigin,
  type DependencyFailurePolicy,
  JOB_STATUSES,
  type Job,
  type JobErrorRecord,
  JobStatus,
  type JobStatusType,
} from './job.js';
export type {
  AnyJobOf,
  DefaultJobName,
  EnqueueManyItemOf,
  IsUntypedJobMap,
  JobDataOf,
  JobMap,
  JobNameOf,
} from './job-map.js';
export type {
  DependencyResult,
  EnqueueManyItem,
  EnqueueManyOptions,
  EnqueueOptions,
  JobContext,
  JobHandler,
  RunPolicyOptions,
  ScheduleOptions,
  WorkerOptions,
} from './job-options.js';
export type { Clock, Logger, MonqueOptions, RetentionOptions, TelemetryOptions } from './monque-options.js';
export type { JobId, MonquePublicAPI } from './public-api.js';
export type {
  BulkResult,
  CancelOptions,
  DataFieldValue,
  JobList,
  JobPage,
  JobQuery,
  JobSort,
  NameStats,
  PausedState,
  QueueStats,
  StatusCounts,
  ThroughputBucket,
} from './queries.js';
