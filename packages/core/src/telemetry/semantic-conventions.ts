/**
 * Names of the spans, metrics and attributes Monque reports, after OpenTelemetry's messaging
 * semantic conventions (attributes `messaging.*`, histogram `messaging.process.duration` in
 * seconds); Monque's own figures are under `monque.*`.
 */
import packageJson from '../../package.json' with { type: 'json' };

/** Instrumentation scope of every tracer and meter: the package name. */
export const INSTRUMENTATION_SCOPE = '@monque/core';

/** Version of the instrumentation scope: the package version. */
export const INSTRUMENTATION_VERSION: string = packageJson.version;

/** `messaging.system` of every span and metric. */
export const MESSAGING_SYSTEM = 'monque';

/** Attribute names. */
export const Attr = {
  SYSTEM: 'messaging.system',
  OPERATION_TYPE: 'messaging.operation.type',
  OPERATION_NAME: 'messaging.operation.name',
  DESTINATION: 'messaging.destination.name',
  BATCH_COUNT: 'messaging.batch.message_count',
  MESSAGE_ID: 'messaging.message.id',
  ERROR_TYPE: 'error.type',
  /** `failCount` of the job when its run started (0 on the first attempt). */
  FAIL_COUNT: 'monque.job.fail_count',
  /** How a run ended: `completed`, `failed` or `cancelled`. */
  OUTCOME: 'monque.job.outcome',
} as const;

/** `messaging.operation.name` of an enqueue (`enqueue` and `enqueueMany`) and of a run. */
export const Operation = { ENQUEUE: 'enqueue', PROCESS: 'process' } as const;

/** Metric names. */
export const Metric = {
  STARTED: 'monque.jobs.started',
  COMPLETED: 'monque.jobs.completed',
  FAILED: 'monque.jobs.failed',
  CANCELLED: 'monque.jobs.cancelled',
  DURATION: 'messaging.process.duration',
  DUE: 'monque.jobs.due',
} as const;

/** Bucket boundaries (s) of the duration histogram, as the semantic conventions advise. */
export const DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];
