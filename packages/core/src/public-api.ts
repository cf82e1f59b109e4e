/**
 * The public API of `Monque`, documented method by method. `J` is the job map of typed jobs.
 */
import type { ObjectId } from 'mongodb';
import type { FlowNode, FlowOptions, FlowSpecOf } from './flow-spec.js';
import type { Job } from './job.js';
import type { DefaultJobName, EnqueueManyItemOf, JobDataOf, JobMap, JobNameOf } from './job-map.js';
import type { EnqueueManyOptions, EnqueueOptions, JobHandler, ScheduleOptions, WorkerOptions } from './job-options.js';
import type { ResolvedMonqueOptions } from './options.js';
import type {
  BulkResult,
  CancelOptions,
  JobList,
  JobPage,
  JobQuery,
  PausedState,
  QueueStats,
  ThroughputBucket,
} from './queries.js';

/** A job id: an `ObjectId` (from any copy of the driver) or its 24-hex-digit string. */
export type JobId = ObjectId | string;

/** The public API of `Monque`. */
export interface MonquePublicAPI<J = JobMap> {
  /** The id recorded as `owner` on jobs this instance claims. */
  readonly instanceId: string;
  /** The options in force, with defaults applied. */
  readonly options: ResolvedMonqueOptions;
  /** Whether the scheduler is running (started and not stopping). */
  readonly isRunning: boolean;

  // ── Producing jobs ──────────────────────────────────────────────────────────────────────────

  /**
   * Adds a job, due at `options.runAt` (default now). With `options.uniqueKey`, returns the
   * `pending`/`processing` job of the same name and key instead, unchanged, if there is one; or,
   * with `onDuplicate: 'replace'`, `debounce` (+ `maxWait`) or `throttle`, replaces, debounces or
   * throttles as those options say, and emits `job:deduplicated` when it created no job. Returns
   * the job that stands for the call (created, replaced or kept). Plain calls made while another
   * enqueue is being written are sent together in one round trip; deduplicating calls go alone.
   *
   * @throws InvalidArgumentError for a bad name, data or option (nothing is written)
   * @throws ConnectionError when the database cannot be reached (the driver's error is its `cause`)
   */
  enqueue<T = unknown, N extends JobNameOf<J> = DefaultJobName<J>>(
    name: N,
    data: JobDataOf<J, N, T>,
    options?: EnqueueOptions,
  ): Promise<Job<JobDataOf<J, N, T>>>;

  /** Adds a job due now; the same as `enqueue(name, data)`. */
  now<T = unknown, N extends JobNameOf<J> = DefaultJobName<J>>(
    name: N,
    data: JobDataOf<J, N, T>,
  ): Promise<Job<JobDataOf<J, N, T>>>;

  /**
   * Adds many jobs in a couple of round trips (unique keys respected: a key already held returns
   * the existing job). Items with a deduplication mode (`onDuplicate`, `debounce`, `throttle`) are
   * applied one name and key at a time, in the order given. Returns the jobs in the order given.
   *
   * @throws InvalidArgumentError naming the index of the first bad item (nothing is written)
   * @throws ConnectionError when the database cannot be reached
   */
  enqueueMany<T = unknown, N extends JobNameOf<J> = DefaultJobName<J>>(
    jobs: readonly EnqueueManyItemOf<J, N, T>[],
    options?: EnqueueManyOptions,
  ): Promise<Job<JobDataOf<J, N, T>>[]>;

  /**
   * Enqueues a tree of jobs as one unit: each job (`{ name, data, options?, children? }`) depends
   * on its children, so it runs once they have all completed, and reads their results with
   * `dependencies()`. Either every job of it exists or none (inside the transaction of
   * `options.session` when given). Returns the tree with each job.
   *
   * @throws InvalidArgumentError for a bad spec, a spec object used twice (a cycle), a `uniqueKey`,
   *   more than 10,000 jobs or more than 1000 dependencies of one job (nothing is written)
   * @throws ConnectionError when the database cannot be reached (nothing of the flow is kept)
   */
  flow(spec: FlowSpecOf<J>, options?: FlowOptions): Promise<FlowNode>;

  /**
   * Creates or updates the recurring job `name` (+ `options.uniqueKey`): a 5-field cron expression
   * read in `options.timezone` (default UTC). Calling it again — on every boot, from every instance —
   * updates the one job (data, cron, options) instead of adding another.
   *
   * @throws InvalidCronError for a bad expression, InvalidArgumentError for other bad input (nothing is written)
   * @throws ConnectionError when the database cannot be reached
   */
  schedule<T = unknown, N extends JobNameOf<J> = DefaultJobName<J>>(
    cron: string,
    name: N,
    data: JobDataOf<J, N, T>,
    options?: ScheduleOptions,
  ): Promise<Job<JobDataOf<J, N, T>>>;

  /**
   * Removes the recurring job `name` (+ `options.uniqueKey`). A pending one is deleted; one that is
   * running finishes its current run, which is its last. One-off jobs of the same name are not touched.
   *
   * @returns `true` when there was such a schedule
   * @throws ConnectionError when the database cannot be reached
   */
  unschedule(name: JobNameOf<J>, options?: Pick<ScheduleOptions, 'uniqueKey'>): Promise<boolean>;

  // ── Running jobs ────────────────────────────────────────────────────────────────────────────

  /**
   * Registers the handler of jobs named `name`. It receives the job and `{ signal, progress }`; its
   * return value is stored as `job.result`; a throw or rejection is a failure (retried per policy).
   *
   * @throws InvalidArgumentError for a bad name, handler or option; DuplicateWorkerError when `name` has a worker
   */
  worker<T = unknown, N extends JobNameOf<J> = DefaultJobName<J>>(
    name: N,
    handler: JobHandler<JobDataOf<J, N, T>>,
    options?: WorkerOptions,
  ): void;

  /**
   * Creates the indexes, recovers this instance's own orphaned jobs and starts claiming. Resolves
   * once running, or once a `stop()` called meanwhile has stopped it.
   *
   * @throws ConnectionError when the database cannot be reached
   */
  start(): Promise<void>;

  /**
   * Stops claiming at once, waits for running jobs up to `shutdownTimeout`, then aborts the
   * signals of those still running and resolves. Once it has resolved nothing runs and no timer is
   * left. Harmless when called twice, concurrently, or before `start()`.
   */
  stop(): Promise<void>;

  /** `true` only while running and the database answers. */
  isHealthy(): boolean;

  /**
   * Asks the database to answer (one `ping`). Useful for the health check of a producer, which
   * never calls `start()`.
   *
   * @returns `true` when it answered
   */
  ping(): Promise<boolean>;

  // ── Inspecting ──────────────────────────────────────────────────────────────────────────────

  /** One job by id; `null` when there is none. @throws InvalidArgumentError for a bad id */
  getJob<T = unknown>(id: JobId): Promise<Job<T> | null>;

  /**
   * Jobs matching `query`, one page at a time, newest first unless `page.sort` says otherwise
   * (keyset pagination: in the default order, stable while jobs are added). Sorting by `nextRun`
   * or `finished` is not served by Monque's indexes: the server sorts the matching jobs, so on large
   * collections filter by name or status too, or add an index such as `{ status: 1, nextRunAt: 1,
   * _id: 1 }` or `{ finishedAt: -1, _id: -1 }`.
   * @throws InvalidArgumentError for a bad query, cursor, limit or sort
   */
  getJobs<T = unknown>(query?: JobQuery<JobNameOf<J>>, page?: JobPage): Promise<JobList<T>>;

  /**
   * The recurring jobs still scheduled (`schedule()` made them and neither `unschedule()` nor a
   * cancellation ended them), sorted by name, then unique key: each with its cron expression
   * (`repeatInterval`), `timezone`, `nextRunAt`, and its last run's traces (`startedAt`,
   * `completedAt`, `failReason`, `errors`). One indexed read (`monque_schedules`).
   *
   * More than `limit`: page with `after`, the name and unique key of the last job of a page (a
   * recurring job is one per name and unique key), until a page comes back shorter than `limit`.
   *
   * @param options.name - only the schedules of this job name
   * @param options.limit - at most this many, 1 to 1000 (default 1000)
   * @param options.after - only the schedules after this one in the order (`{ name, uniqueKey? }`
   *   of the last one listed); none by default
   * @throws InvalidArgumentError for a bad name, limit or `after`
   */
  getSchedules<T = unknown>(options?: {
    name?: JobNameOf<J>;
    limit?: number;
    after?: { name: string; uniqueKey?: string };
  }): Promise<Job<T>[]>;

  /** How many jobs match `query`. */
  countJobs(query?: JobQuery<JobNameOf<J>>): Promise<number>;

  /** Counts by status, per job name and in total, with each name's oldest due time. */
  getStats(query?: JobQuery<JobNameOf<J>>): Promise<QueueStats>;

  /**
   * Completed and failed runs per minute over the last `minutes` (default 60, at most 1440),
   * oldest first, every minute present. Counted by the instances that ran the jobs.
   */
  getThroughput(options?: { minutes?: number; name?: JobNameOf<J> }): Promise<ThroughputBucket[]>;

  // ── Controlling ─────────────────────────────────────────────────────────────────────────────

  /**
   * Cancels a job. `pending` → `cancelled` at once. `processing` → cancellation is requested: the
   * handler's `signal` aborts within one `heartbeatInterval` on whichever instance runs it, and the
   * job ends `cancelled` (never retried). An already cancelled job is returned unchanged.
   *
   * @returns the job as it is now; `null` for an unknown id
   * @throws JobStateError for a `completed` or `failed` job
   */
  cancelJob(id: JobId, options?: CancelOptions): Promise<Job | null>;

  /**
   * Runs a `failed` or `cancelled` job again: `pending`, due now, `failCount` 0. It takes its unique
   * key back.
   *
   * @returns the job as it is now; `null` for an unknown id
   * @throws JobStateError for a job in another status, or whose unique key another active job holds
   */
  retryJob(id: JobId): Promise<Job | null>;

  /**
   * Gives a `pending` job a new due time.
   *
   * @returns the job as it is now; `null` for an unknown id
   * @throws JobStateError for a job in another status
   */
  rescheduleJob(id: JobId, runAt: Date): Promise<Job | null>;

  /**
   * Deletes a job that is not `processing`.
   *
   * @returns `false` for an unknown id
   * @throws JobStateError for a `processing` job (cancel it first)
   */
  deleteJob(id: JobId): Promise<boolean>;

  /** `cancelJob` for every matching job, in a bounded number of commands. */
  cancelJobs(query: JobQuery<JobNameOf<J>>, options?: CancelOptions): Promise<BulkResult>;

  /** `retryJob` for every matching `failed`/`cancelled` job (those whose key is held are skipped). */
  retryJobs(query: JobQuery<JobNameOf<J>>): Promise<BulkResult>;

  /** `deleteJob` for every matching job that is not `processing`. */
  deleteJobs(query: JobQuery<JobNameOf<J>>): Promise<BulkResult>;

  /**
   * Stops every instance claiming jobs of `name` (every name without one) within one
   * `pollInterval`; running jobs finish. Stored in the database: it survives restarts.
   */
  pause(name?: JobNameOf<J>): Promise<void>;

  /** Undoes `pause(name)`; without a name, resumes every name (the global pause and each name's). */
  resume(name?: JobNameOf<J>): Promise<void>;

  /** What is paused: the names paused one by one, or `'all'` when `pause()` paused everything. */
  getPaused(): Promise<PausedState>;
}
