/**
 * The job document as users see it: statuses and fields.
 *
 * Glossary:
 * - **job**: one document in the jobs collection; a unit of work for the worker of its `name`.
 * - **worker**: the handler registered for a job name in one `Monque` instance, with its concurrency.
 * - **instance**: one `Monque` object; it claims due jobs for its workers and runs them.
 * - **claim**: the atomic move of a due `pending` job to `processing`, owned by one instance. Each
 *   claim has its own token; a run belongs to exactly one claim.
 * - **lock**: `lockedAt` of a `processing` job; the owner's heartbeat renews it. A job whose lock
 *   has not changed for `lockTimeout` (as seen by another instance, on its own clock) is stale and
 *   goes back to `pending`.
 * - **recurring job**: a job with a cron expression (`repeatInterval`); after each run it returns to
 *   `pending` at its next cron time.
 */
import type { ObjectId } from 'mongodb';

/** The status values of a job, as an `as const` object. */
export const JobStatus = {
  /**
   * Has dependencies (`dependsOn`) that are not all `completed` yet: not claimable. Becomes
   * `pending` (due at its `runAt`, or now) once the last one completes.
   */
  WAITING: 'waiting',
  /** Waiting until `nextRunAt`, then claimable. */
  PENDING: 'pending',
  /** Claimed by one instance; its handler is running. */
  PROCESSING: 'processing',
  /** The handler succeeded (one-off jobs only; recurring jobs return to `pending`). */
  COMPLETED: 'completed',
  /** Failed for good: its retries are used up, or it threw an `UnrecoverableError`. */
  FAILED: 'failed',
  /**
   * An operator cancelled it, or one of its dependencies ended `failed` or `cancelled` or was
   * deleted. It never runs again unless retried, and holds no unique key.
   */
  CANCELLED: 'cancelled',
} as const;

/** One of {@link JobStatus}'s values. */
export type JobStatusType = (typeof JobStatus)[keyof typeof JobStatus];

/** Every status, in life-cycle order. */
export const JOB_STATUSES: readonly JobStatusType[] = Object.values(JobStatus);

/** What `onDependencyFailure` does when a dependency ends `failed` or `cancelled`, or is deleted. */
export type DependencyFailurePolicy = 'cancel' | 'run';

/** Where a dead-letter job comes from: the job that failed for good (`deadLetterOf`). */
export interface DeadLetterOrigin {
  /** The id of the job that failed. */
  jobId: ObjectId;
  /** Its name. */
  name: string;
  /** Its last failure message. */
  failReason: string;
  /** Its failures. */
  failCount: number;
}

/** How the delay before a retry grows. */
export interface BackoffOptions {
  /**
   * `'exponential'`: `2^failCount × delay` (failCount counts the failure just recorded);
   * `'fixed'`: always `delay`.
   */
  type: 'exponential' | 'fixed';
  /** The base delay in ms (≥ 0). */
  delay: number;
  /**
   * Longest delay in ms.
   * @defaultValue the instance's `maxBackoffDelay` (one year unless set)
   */
  maxDelay?: number;
  /**
   * Randomises each delay by up to this fraction, downwards (0..1): `0.2` gives a delay between 80%
   * and 100% of the computed one. Spreads retries of jobs that failed together.
   * @defaultValue 0 (exact delays)
   */
  jitter?: number;
}

/** One failed attempt of a job, as kept in `job.errors`. */
export interface JobErrorRecord {
  /** The attempt that failed: the job's `attempts` count when it ran (1 for the first run). */
  attempt: number;
  /** When the failure was recorded. */
  at: Date;
  /** The error's message (its name when the message is empty), cut to 16 KiB. */
  message: string;
  /** The error's stack trace, cut to 16 KiB; absent for errors without one (and stale recoveries). */
  stack?: string;
  /** The `instanceId` of the instance that ran the attempt. */
  instanceId: string;
  /** How long the attempt ran, in ms. */
  durationMs: number;
}

/** A job as stored, and as handed to handlers, listeners and the operations API. */
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
  /** Among due jobs of one name, higher runs first (then earlier `nextRunAt`). @defaultValue 0 */
  priority?: number;
  /** When the lock was taken or last renewed by the owner's heartbeat; `null` when not processing. */
  lockedAt: Date | null;
  /** Failures so far (reset to 0 after each successful run of a recurring job, and by a retry). */
  failCount: number;
  /** Runs started so far (claims that handed the job to a handler). */
  attempts?: number;
  /**
   * Stale recoveries since the job was last retried (its instance died or was cut off while it
   * ran). The first `maxStalls` of them are not charged as failures. Absent: none.
   */
  stalls?: number;
  /** The message of the last failure. */
  failReason?: string;
  /**
   * The failed attempts, oldest first: the last 20, each written with its failure (a stale recovery
   * counts as one). Kept across retries and recurring runs.
   */
  errors?: JobErrorRecord[];
  /** The cron expression of a recurring job. */
  repeatInterval?: string;
  /** IANA time zone of a recurring job's cron expression (default UTC). */
  timezone?: string;
  /** The deduplication key given to `enqueue` or `schedule`. */
  uniqueKey?: string;
  /**
   * The group given to `enqueue`/`schedule` (at most 200 characters): jobs of one group share the
   * worker's `groupConcurrency` and, with `perGroup`, its rate limit. Absent: the job is in no group.
   */
  group?: string;
  /** The job's own retry limit (else its worker's, else the instance's `maxRetries`). */
  maxRetries?: number;
  /** The job's own backoff (else its worker's, else the instance's exponential `baseRetryInterval`). */
  backoff?: BackoffOptions;
  /** The job's own run time limit in ms (else its worker's; none by default). */
  timeout?: number;
  /** The last value the handler reported with `progress()`. */
  progress?: number | Record<string, unknown>;
  /** What the handler returned, when the run succeeded (and it was not `undefined`). */
  result?: unknown;
  /** Id of the instance holding the job while it is `processing`. */
  owner?: string;
  /** When the current (or last) run started. */
  startedAt?: Date;
  /** When the job last reached `completed` (one-off) or finished a successful run (recurring). */
  completedAt?: Date;
  /** When the job reached `completed`, `failed` or `cancelled` (retention counts from here). */
  finishedAt?: Date;
  /** Set when `cancelJob` asked a running job to stop; it ends `cancelled`. */
  cancelRequestedAt?: Date;
  /** The reason given to `cancelJob`. */
  cancelReason?: string;
  /** The jobs this one waits for (`enqueue`'s `dependsOn`, or a flow parent's children), in order. */
  dependsOn?: ObjectId[];
  /**
   * What happens when a dependency ends `failed` or `cancelled`, or is deleted: `'cancel'` (this
   * job ends `cancelled`) or `'run'` (it runs anyway). Stored when `'run'`.
   * @defaultValue 'cancel'
   */
  onDependencyFailure?: DependencyFailurePolicy;
  /** How many jobs depend on this one (`getJob` only; absent when none do). */
  dependents?: number;
  /** The id of the root job of the `flow()` this job belongs to. */
  flowId?: ObjectId;
  /** The job's own dead-letter job name (else its worker's): see `EnqueueOptions.deadLetter`. */
  deadLetter?: string;
  /** Set on a dead-letter job: the job whose failure it stands for. */
  deadLetterOf?: DeadLetterOrigin;
  /** When the job was inserted. */
  createdAt: Date;
  /** When the job document last changed state. */
  updatedAt: Date;
}
