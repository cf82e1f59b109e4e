/**
 * Public types of `@monque/core`.
 *
 * Glossary:
 * - **job**: one document in the jobs collection; a unit of work for the worker of its `name`.
 * - **worker**: the handler registered for a job name in one `Monque` instance, with its concurrency.
 * - **instance**: one `Monque` object; it claims due jobs for its workers and runs them.
 * - **claim**: the atomic move of a due `pending` job to `processing`, owned by one instance.
 * - **lock**: `lockedAt` of a `processing` job; the owner's heartbeat renews it. A job whose lock
 *   has not been renewed for `lockTimeout` is stale and goes back to `pending`.
 * - **recurring job**: a job with a cron expression (`repeatInterval`); after each run it returns to
 *   `pending` at its next cron time.
 */
import type { ObjectId } from 'mongodb';

/** The status values of a job, as an `as const` object. */
export const JobStatus = {
  /** Waiting until `nextRunAt`, then claimable. */
  PENDING: 'pending',
  /** Claimed by one instance; its handler is running. */
  PROCESSING: 'processing',
  /** The handler succeeded (one-off jobs only; recurring jobs return to `pending`). */
  COMPLETED: 'completed',
  /** Failed `maxRetries` times; will not run again. */
  FAILED: 'failed',
} as const;

/** One of {@link JobStatus}'s values. */
export type JobStatusType = (typeof JobStatus)[keyof typeof JobStatus];

/** A job as stored and as handed to handlers and listeners. */
export interface Job<T = unknown> {
  /** The document id. */
  _id: ObjectId;
  /** The job name: the worker it belongs to. */
  name: string;
  /** The payload, as given to `enqueue`/`schedule`. */
  data: T;
  /** Where the job is in its life cycle. */
  status: JobStatusType;
  /** When the job is (next) due. */
  nextRunAt: Date;
  /** When the lock was taken or last renewed by the owner's heartbeat; `null` when not processing. */
  lockedAt: Date | null;
  /** Failures so far (reset to 0 after each successful run of a recurring job). */
  failCount: number;
  /** The message of the last failure. */
  failReason?: string;
  /** The cron expression of a recurring job. */
  repeatInterval?: string;
  /** IANA time zone of a recurring job's cron expression (default UTC). */
  timezone?: string;
  /** The deduplication key given to `enqueue` or `schedule`. */
  uniqueKey?: string;
  /** Id of the instance holding the job while it is `processing`. */
  owner?: string;
  /** When the current (or last) run started. */
  startedAt?: Date;
  /** When the job last reached `completed` (one-off) or finished a successful run (recurring). */
  completedAt?: Date;
  /** When the job was inserted. */
  createdAt: Date;
  /** When the job document last changed state. */
  updatedAt: Date;
}

/** Options of {@link MonquePublicAPI.enqueue}. */
export interface EnqueueOptions {
  /**
   * When the job becomes due.
   * @defaultValue now
   */
  runAt?: Date;
  /**
   * Deduplication key: while a job with this `name` and key is `pending` or `processing`,
   * enqueueing another returns that job unchanged. Completed and failed jobs do not block.
   */
  uniqueKey?: string;
}

/** Options of {@link MonquePublicAPI.schedule}. */
export interface ScheduleOptions {
  /**
   * Identifies the recurring job together with its name, so one name can have several schedules.
   * Without it, the name alone identifies the schedule.
   */
  uniqueKey?: string;
  /**
   * IANA time zone the cron expression is read in (e.g. `'Europe/Berlin'`).
   * @defaultValue `'UTC'`
   */
  timezone?: string;
}

/** Options of {@link MonquePublicAPI.worker}. */
export interface WorkerOptions {
  /**
   * How many jobs of this name one instance runs at once.
   * @defaultValue the instance's `defaultConcurrency` (5)
   */
  concurrency?: number;
}

/** A job handler: a thrown error or rejected promise marks the run as failed. */
export type JobHandler<T = unknown> = (job: Job<T>) => unknown | Promise<unknown>;

/** A source of the current time. The engine reads time only from here. */
export interface Clock {
  /** The current time. */
  now(): Date;
}

/** Constructor options of `Monque`. Every option is optional. */
export interface MonqueOptions {
  /**
   * Collection holding the jobs.
   * @defaultValue `'monque_jobs'`
   */
  collectionName?: string;
  /**
   * How often (ms) an idle scheduler looks for due jobs. A busy scheduler polls again at once
   * while it finds work, and a local `enqueue` wakes it immediately.
   * @defaultValue 1000
   */
  pollInterval?: number;
  /**
   * A job whose `failCount` reaches this after a failure is `failed` for good.
   * @defaultValue 10
   */
  maxRetries?: number;
  /**
   * Base (ms) of the retry backoff: a failed job is due again after `2^failCount × baseRetryInterval`.
   * @defaultValue 1000
   */
  baseRetryInterval?: number;
  /**
   * How long (ms) `stop()` waits for running jobs.
   * @defaultValue 30000
   */
  shutdownTimeout?: number;
  /**
   * How many jobs of one worker (job name) run at once in one instance, unless the worker says otherwise.
   * @defaultValue 5
   */
  defaultConcurrency?: number;
  /**
   * A `processing` job whose lock has not been renewed for this long (ms) is stale.
   * Running jobs' locks are renewed by a heartbeat, so this can be set low safely.
   * @defaultValue 1800000 (30 minutes)
   */
  lockTimeout?: number;
  /**
   * Reset stale jobs to `pending` on `start()` and periodically while running.
   * @defaultValue true
   */
  recoverStaleJobs?: boolean;
  /**
   * How often (ms) the heartbeat renews the locks of this instance's running jobs.
   * @defaultValue `min(lockTimeout / 4, 30000)`
   */
  heartbeatInterval?: number;
  /**
   * How often (ms) a running scheduler looks for stale jobs.
   * @defaultValue `min(lockTimeout / 2, 60000)`
   */
  staleCheckInterval?: number;
  /**
   * Listen to a change stream for newly due jobs so every instance wakes at once (replica sets only;
   * on a server without change streams the scheduler falls back to polling and emits one `wakeup:fallback`).
   * @defaultValue true
   */
  changeStreamWakeups?: boolean;
  /**
   * Name of this instance, recorded as `owner` on the jobs it claims.
   * @defaultValue `hostname:pid:random`
   */
  instanceId?: string;
  /**
   * Where the engine reads the time (tests may replace it).
   * @defaultValue the system clock
   */
  clock?: Clock;
}

/** Payload of `job:complete`. */
export interface JobCompleteEvent {
  job: Job;
  /** Handler run time in ms. */
  duration: number;
}

/** Payload of `job:fail`. */
export interface JobFailEvent {
  job: Job;
  error: Error;
  /** `true` when the job will run again (retry with backoff, or a recurring job's next time). */
  willRetry: boolean;
}

/** Payload of `job:error`. */
export interface JobErrorEvent {
  error: Error;
  job?: Job;
}

/** Payload of `job:recovered`. */
export interface JobRecoveredEvent {
  /** The job as it was found, still `processing` under a lock that was not renewed. */
  job: Job;
  /** `false` when the recovery used up the job's last attempt and it is now `failed`. */
  willRetry: boolean;
}

/** Payload of `wakeup:fallback`. */
export interface WakeupFallbackEvent {
  /** Why change streams are not used (e.g. the server is not a replica set). */
  reason: string;
}

/** The events of a `Monque` instance and their payloads. */
export interface MonqueEventMap {
  /** A handler is about to run. */
  'job:start': Job;
  /** A handler succeeded and the result is stored. */
  'job:complete': JobCompleteEvent;
  /** A handler failed and the failure is stored. */
  'job:fail': JobFailEvent;
  /** Something unexpected: a database error while polling, a lost lock, a shutdown timeout. */
  'job:error': JobErrorEvent;
  /** A stale job (its owner stopped renewing the lock) was reset. */
  'job:recovered': JobRecoveredEvent;
  /** Change-stream wake-ups are unavailable; polling alone finds due jobs. Emitted once. */
  'wakeup:fallback': WakeupFallbackEvent;
}

/** A job for `enqueueMany`. */
export interface EnqueueManyItem<T = unknown> {
  name: string;
  data: T;
  options?: EnqueueOptions;
}

/** The public API of `Monque`. */
export interface MonquePublicAPI {
  enqueue<T>(name: string, data: T, options?: EnqueueOptions): Promise<Job<T>>;
  enqueueMany<T>(jobs: readonly EnqueueManyItem<T>[]): Promise<Job<T>[]>;
  now<T>(name: string, data: T): Promise<Job<T>>;
  schedule<T>(cron: string, name: string, data: T, options?: ScheduleOptions): Promise<Job<T>>;
  unschedule(name: string, options?: Pick<ScheduleOptions, 'uniqueKey'>): Promise<boolean>;
  worker<T>(name: string, handler: JobHandler<T>, options?: WorkerOptions): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  isHealthy(): boolean;
}
