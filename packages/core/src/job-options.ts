/**
 * Options of one job (`enqueue`, `enqueueMany`, `schedule`), of a worker, and what a handler gets.
 * A job's own setting wins over its worker's, which wins over the instance's.
 */
import type { ClientSession } from 'mongodb';
import type { BackoffOptions, DependencyFailurePolicy, Job, JobStatusType } from './job.js';
import type { JobId } from './public-api.js';

/** Retry and time-limit settings a job or a worker can set for itself. */
export interface RunPolicyOptions {
  /**
   * A job whose `failCount` reaches this after a failure is `failed` for good (0: never retried).
   * @defaultValue the worker's, else the instance's `maxRetries` (10)
   */
  maxRetries?: number;
  /**
   * How long to wait before each retry.
   * @defaultValue the worker's, else `{ type: 'exponential', delay: baseRetryInterval }`
   */
  backoff?: BackoffOptions;
  /**
   * Most ms one run may take. At the deadline the handler's `signal` aborts with a
   * `JobTimeoutError` and the run counts as failed (retried per policy).
   * @defaultValue the worker's, else no limit
   */
  timeout?: number;
}

/** Options of `enqueue` (and of each `enqueueMany` item). */
export interface EnqueueOptions extends RunPolicyOptions {
  /**
   * When the job becomes due.
   * @defaultValue now
   */
  runAt?: Date;
  /**
   * Deduplication key: while a job with this `name` and key is `pending` or `processing`,
   * enqueueing another returns that job unchanged (or as `onDuplicate`, `debounce` or `throttle`
   * say). Finished jobs do not block.
   * @defaultValue none (no deduplication)
   */
  uniqueKey?: string;
  /**
   * Among due jobs of one name, higher runs first (an integer; negative values run last).
   * @defaultValue 0
   */
  priority?: number;
  /**
   * Ids of existing jobs this one waits for: it is `waiting` until every one of them is
   * `completed`, then `pending` (due at `runAt`, or now). A dependency already completed counts as
   * done. At most {@link MAX_DEPENDENCIES}; an unknown id, a recurring job or a repeated id is an
   * `InvalidArgumentError` (nothing is written).
   */
  dependsOn?: readonly JobId[];
  /**
   * When a dependency ends `failed` or `cancelled`, or is deleted: `'cancel'` ends this job
   * `cancelled` (its `cancelReason` names the dependency, and its own dependents follow);
   * `'run'` runs it anyway once every other dependency is settled.
   * @defaultValue 'cancel'
   */
  onDependencyFailure?: DependencyFailurePolicy;
  /**
   * The name of a job to enqueue when this one fails for good: it gets the same `data` and
   * `deadLetterOf` (exactly one per failure, written with it).
   * @defaultValue the worker's `deadLetter`, else none
   */
  deadLetter?: string;
  /**
   * The group of the job (a non-empty string of at most 200 characters, e.g. a tenant id): jobs of
   * one group share the worker's `groupConcurrency` and, with `rateLimit.perGroup`, its rate limit.
   * @defaultValue none (the job is in no group)
   */
  group?: string;
  /**
   * With `uniqueKey`, what happens while a `pending`/`processing` job of this name holds the key:
   * - `'keep'`: that job is returned unchanged (what an enqueue with `uniqueKey` does anyway; given
   *   explicitly, the call also reports `job:deduplicated` with outcome `'kept'`);
   * - `'replace'`: a `pending` job gets this call's `data`, `runAt`, `priority`, `group` and run
   *   options (its `_id`, `createdAt` and `failCount` stay); a `processing` one keeps running and
   *   this call's job is queued behind it (at most one: later calls replace the queued one).
   *
   * Needs `uniqueKey`; one of `onDuplicate`, `debounce`, `throttle` per call.
   * @defaultValue `'keep'`
   */
  onDuplicate?: 'keep' | 'replace';
  /**
   * Debounce in ms (with `uniqueKey`): the `pending` job of this key gets this call's `data` (like
   * `'replace'`) and becomes due `debounce` ms after this call, so a burst of enqueues runs once,
   * with the last data, `debounce` ms after the last one. A `processing` job keeps running and
   * this call's job is queued behind it (at most one). Not combined with `runAt`.
   * @defaultValue none (no debounce)
   */
  debounce?: number;
  /**
   * With `debounce`: the longest a pending job can be pushed back, in ms counted from its creation
   * (the first enqueue of the burst). It becomes due at `createdAt + maxWait` at the latest,
   * however many enqueues follow. At least `debounce`.
   * @defaultValue none (pushed back for as long as enqueues keep coming)
   */
  maxWait?: number;
  /**
   * Throttle in ms (with `uniqueKey`): at most one job of this name and key is created per
   * `throttle` ms, counted from the creation of the last one whatever its status now (running,
   * finished, even deleted). Enqueues in between create nothing and return that job.
   * @defaultValue none (no throttle)
   */
  throttle?: number;
  /**
   * A MongoDB session with a transaction in progress: the job exists if and only if that
   * transaction commits. Such an enqueue is sent on its own (never batched with others).
   */
  session?: ClientSession;
}

/** Most dependencies one job may have (`dependsOn`, or a flow parent's children). */
export const MAX_DEPENDENCIES = 1000;

/** Options of `schedule`. */
export interface ScheduleOptions extends RunPolicyOptions {
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
  /**
   * Priority of each occurrence among due jobs of its name.
   * @defaultValue 0
   */
  priority?: number;
  /**
   * The group of each occurrence (see `EnqueueOptions.group`). Re-scheduling without it removes it.
   * @defaultValue none (the occurrences are in no group)
   */
  group?: string;
}

/** Options of `worker`. */
export interface WorkerOptions extends RunPolicyOptions {
  /**
   * How many jobs of this name one instance runs at once.
   * @defaultValue the instance's `defaultConcurrency` (5)
   */
  concurrency?: number;
  /**
   * The name of a job to enqueue when a job of this worker fails for good (unless the job names
   * its own): see `EnqueueOptions.deadLetter`.
   * @defaultValue none
   */
  deadLetter?: string;
}

/** A job for `enqueueMany`. */
export interface EnqueueManyItem<T = unknown, N extends string = string> {
  name: N;
  data: T;
  options?: Omit<EnqueueOptions, 'session'>;
}

/** Options shared by every item of one `enqueueMany` call. */
export interface EnqueueManyOptions {
  /** A session with a transaction in progress: the jobs exist if and only if it commits. */
  session?: ClientSession;
}

/** What a handler gets besides its job. */
export interface JobContext {
  /**
   * Aborts when the run should stop: its `reason` is a `JobTimeoutError` (the `timeout` passed),
   * a `JobCancelledError` (`cancelJob`), a `JobLockLostError` (another instance took the job over)
   * or a `ShutdownTimeoutError` (`stop()` gave up waiting). Pass it on to `fetch` and friends.
   */
  readonly signal: AbortSignal;
  /**
   * Reports progress: stored as `job.progress` and emitted as `job:progress`. Writes are coalesced
   * (at most one in flight per job; the latest value wins) and fenced on the run's claim. The
   * promise resolves once this value or a later one is stored, or the write was given up (it never
   * rejects; a failed write is reported as `job:error`).
   */
  progress(value: number | Record<string, unknown>): Promise<void>;
  /**
   * The jobs this one depends on (`dependsOn`, or a flow parent's children), in that order, with
   * what each returned: one read, made on the first call. A dependency deleted meanwhile is left
   * out; `result` is `undefined` for one that returned nothing or did not complete (with
   * `onDependencyFailure: 'run'`). Empty for a job without dependencies.
   */
  dependencies(): Promise<DependencyResult[]>;
}

/** One dependency as `dependencies()` reports it. */
export interface DependencyResult {
  jobId: Job['_id'];
  name: string;
  /** Its status when read (`completed`, unless it failed and `onDependencyFailure` is `'run'`). */
  status: JobStatusType;
  /** What its handler returned. */
  result: unknown;
}

/**
 * A job handler. Its return value is stored as `job.result`; a thrown error or rejected promise
 * marks the run as failed (an `UnrecoverableError` fails the job at once).
 */
export type JobHandler<T = unknown, R = unknown> = (job: Job<T>, context: JobContext) => R | Promise<R>;
