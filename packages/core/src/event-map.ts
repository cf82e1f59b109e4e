/**
 * The events of a `Monque` instance and their payloads. `J` is the instance's job map (typed jobs);
 * by default every payload carries a plain `Job`.
 */
import type { ObjectId } from 'mongodb';
import type { AnyJobOf, JobMap } from './job-map.js';
import type { JobQuery } from './queries.js';

/** Payload of `job:complete`. */
export interface JobCompleteEvent<J = JobMap> {
  /** The job as stored after the run (`completed`, or `pending` at its next time when recurring). */
  job: AnyJobOf<J>;
  /** Handler run time in ms. */
  duration: number;
  /** What the handler returned. */
  result: unknown;
}

/** Payload of `job:fail`. */
export interface JobFailEvent<J = JobMap> {
  job: AnyJobOf<J>;
  error: Error;
  /** `true` when the job will run again (retry with backoff, or a recurring job's next time). */
  willRetry: boolean;
}

/** Payload of `job:error`. */
export interface JobErrorEvent<J = JobMap> {
  error: Error;
  job?: AnyJobOf<J>;
}

/** Payload of `job:recovered`. */
export interface JobRecoveredEvent<J = JobMap> {
  /** The job as it was found, still `processing` under a lock that was not renewed. */
  job: AnyJobOf<J>;
  /** `false` when the recovery used up the job's last attempt and it is now `failed`. */
  willRetry: boolean;
}

/** Payload of `job:progress`. */
export interface JobProgressEvent<J = JobMap> {
  job: AnyJobOf<J>;
  progress: number | Record<string, unknown>;
}

/** Payload of `job:cancelled`, `job:retried` (the job as it is now). */
export interface JobChangedEvent<J = JobMap> {
  job: AnyJobOf<J>;
}

/**
 * What an enqueue with `onDuplicate`, `debounce` or `throttle` did instead of creating a job:
 * - `'kept'`: a `pending`/`processing` job held the key and is returned unchanged (`onDuplicate: 'keep'`);
 * - `'replaced'`: the `pending` job of the key got the call's data, due time and priority (`onDuplicate: 'replace'`);
 * - `'debounced'`: the `pending` job of the key got the call's data and is due `debounce` ms later
 *   (or at its `maxWait` cap);
 * - `'throttled'`: a job of the key was created less than `throttle` ms ago; it is returned as it is now.
 */
export type DeduplicationOutcome = 'kept' | 'replaced' | 'debounced' | 'throttled';

/** Payload of `job:deduplicated`. */
export interface JobDeduplicatedEvent<J = JobMap> {
  /** The job that stands for the enqueue (the one `enqueue` returned), as stored after it. */
  job: AnyJobOf<J>;
  /** What the enqueue did. */
  outcome: DeduplicationOutcome;
}

/** Payload of `job:deleted`. */
export interface JobDeletedEvent {
  jobId: ObjectId;
}

/** Payload of the bulk events `jobs:cancelled`, `jobs:retried`, `jobs:deleted`. */
export interface JobsChangedEvent {
  query: JobQuery;
  count: number;
}

/** Payload of `queue:paused` / `queue:resumed`. */
export interface QueuePauseEvent {
  /** The job name, or `null` for every name. */
  name: string | null;
}

/** Payload of `wakeup:fallback`. */
export interface WakeupFallbackEvent {
  /** Why change streams are not used (e.g. the server is not a replica set). */
  reason: string;
}

/** The events of a `Monque` instance and their payloads. */
export interface MonqueEventMap<J = JobMap> {
  /** A handler is about to run. */
  'job:start': AnyJobOf<J>;
  /** A handler succeeded and the outcome is stored. */
  'job:complete': JobCompleteEvent<J>;
  /** A handler failed (or timed out) and the failure is stored. */
  'job:fail': JobFailEvent<J>;
  /** Something unexpected: a database error, a lost lock, a listener that threw, a shutdown timeout. */
  'job:error': JobErrorEvent<J>;
  /** A stale job (its owner stopped renewing the lock) was reset by this instance. */
  'job:recovered': JobRecoveredEvent<J>;
  /** A handler reported progress and it is stored. */
  'job:progress': JobProgressEvent<J>;
  /** A job became `cancelled` (emitted by the instance that wrote it: the caller, or the runner). */
  'job:cancelled': JobChangedEvent<J>;
  /** `retryJob` made a job `pending` again. */
  'job:retried': JobChangedEvent<J>;
  /**
   * An enqueue with `onDuplicate`, `debounce` or `throttle` found a job of its name and key and
   * created none: `outcome` says what it did to it. Emitted by the enqueuing instance once the write
   * is done (an enqueue that created a job, also one queued behind a running job, emits nothing).
   */
  'job:deduplicated': JobDeduplicatedEvent<J>;
  /** `deleteJob` removed a job. */
  'job:deleted': JobDeletedEvent;
  /** `cancelJobs` finished. */
  'jobs:cancelled': JobsChangedEvent;
  /** `retryJobs` finished. */
  'jobs:retried': JobsChangedEvent;
  /** `deleteJobs` finished. */
  'jobs:deleted': JobsChangedEvent;
  /** `pause()` was stored. */
  'queue:paused': QueuePauseEvent;
  /** `resume()` was stored. */
  'queue:resumed': QueuePauseEvent;
  /** Change-stream wake-ups are unavailable; polling alone finds due jobs. Emitted once. */
  'wakeup:fallback': WakeupFallbackEvent;
}
