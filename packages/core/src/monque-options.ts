/**
 * Options of a `Monque` instance, and the interfaces it accepts (clock, logger, telemetry).
 */

/** A source of the current time. The engine reads time only from here. */
export interface Clock {
  /** The current time. */
  now(): Date;
}

/** Where Monque writes operator-facing log lines. Any of `console`, pino, winston or Ts.ED's logger fit. */
export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

/** How long finished jobs are kept before they are deleted (ms; `Infinity` keeps them). */
export interface RetentionOptions {
  /** @defaultValue 86400000 (1 day) */
  completed?: number;
  /** @defaultValue 604800000 (7 days) */
  failed?: number;
  /** @defaultValue 604800000 (7 days) */
  cancelled?: number;
  /**
   * How often an instance deletes expired jobs itself (at most 1000 per sweep).
   * @defaultValue 60000
   */
  sweepInterval?: number;
}

/** OpenTelemetry providers to use instead of the global ones. */
export interface TelemetryOptions {
  /** A `TracerProvider` of `@opentelemetry/api`. */
  tracerProvider?: object;
  /** A `MeterProvider` of `@opentelemetry/api`. */
  meterProvider?: object;
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
   * How many stale recoveries of one job are stalls, not failures: the job goes back to `pending`,
   * due at once, without a failure charged (its `stalls` count goes up), because a process that
   * died or was cut off says nothing about the job. Recoveries beyond this many are charged as
   * failed attempts (retried with backoff, `failed` once `maxRetries` is used up), so a job that
   * kills its worker every time still ends `failed`. `0` charges every recovery. Counted since the
   * job was last retried.
   * @defaultValue 1
   */
  maxStalls?: number;
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
  /**
   * Longest wait (ms) for one database round trip of Monque's, before it gives up and reports a
   * `ConnectionError` (public methods) or retries later (the engine). The driver's own timeouts
   * apply too; this one also bounds a server that stopped answering without closing the connection.
   * A lock renewal waits at most `min(operationTimeout, lockTimeout)`.
   * @defaultValue 30000
   */
  operationTimeout?: number;
  /**
   * How far (ms) the clocks of instances may disagree. Stale recovery judges a lock by watching it
   * stay unchanged for `lockTimeout` on its own clock; only a lock that already looks older than
   * `lockTimeout + clockSkewTolerance` is taken for stale at first sight (after every instance
   * restarted). `Infinity` relies on watching alone.
   * @defaultValue 60000
   */
  clockSkewTolerance?: number;
  /**
   * Most jobs of all names one instance runs at once (each worker's `concurrency` still applies).
   * @defaultValue no limit beyond the workers' own
   */
  instanceConcurrency?: number;
  /**
   * Longest retry delay in ms, whatever the backoff computes. Any value up to
   * `Number.MAX_SAFE_INTEGER` is accepted; a retry is never due later than the latest time a
   * `Date` can hold (September 275760), so a due time is always a valid date.
   * @defaultValue 31536000000 (one year)
   */
  maxBackoffDelay?: number;
  /**
   * How long finished jobs are kept, in ms after they finished (`Infinity`: forever); `false`
   * keeps every job forever. A TTL index deletes them where the server honours it, and a bounded
   * periodic sweep deletes them where it does not. A recurring job never finishes (it goes back to
   * `pending` after each run) unless it is cancelled or unscheduled, so only then is it deleted.
   * @defaultValue `{ completed: 1 day, failed: 7 days, cancelled: 7 days, sweepInterval: 1 minute }`
   */
  retention?: RetentionOptions | false;
  /**
   * Payload fields searched often by `getJobs`/`countJobs` (`query.data`): each path gets an index
   * `{ 'data.<path>': 1, _id: -1 }`, created with the others. Example: `['customer.id']`.
   * @defaultValue none
   */
  dataIndexes?: readonly string[];
  /**
   * Where Monque logs what an operator needs (start, stop, recoveries, lost locks, database errors).
   * Job data is never logged.
   * @defaultValue silent
   */
  logger?: Logger;
  /**
   * OpenTelemetry spans and metrics: used when `@opentelemetry/api` is installed and a provider is
   * registered (or passed here); `false` turns it off.
   * @defaultValue `true` (the global providers)
   */
  telemetry?: boolean | TelemetryOptions;
}
