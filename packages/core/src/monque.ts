/**
 * The public face of Monque: checks input, wires the store and the engine, and emits events.
 * It holds no query and no loop of its own (see `store/job-store.ts` and `engine/`).
 */
import type { Db } from 'mongodb';
import { ChangeStreamWakeups } from './engine/change-stream-wakeups.js';
import { ConnectionWatch, type MonitoredClient } from './engine/connection-watch.js';
import { Heartbeat } from './engine/heartbeat.js';
import { toError } from './engine/outcome.js';
import { OutcomeWriter } from './engine/outcome-writer.js';
import { Poller } from './engine/poller.js';
import { JobRunner } from './engine/runner.js';
import { StaleRecovery } from './engine/stale-recovery.js';
import { WorkerRegistry } from './engine/worker-registry.js';
import { ConnectionError } from './errors/connection-error.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { ShutdownTimeoutError } from './errors/shutdown-timeout-error.js';
import { MonqueEventEmitter } from './events.js';
import { Operations } from './operations.js';
import { type ResolvedMonqueOptions, resolveOptions } from './options.js';
import { isValidTimezone, nextCronTime, validateCronExpression } from './schedule/cron.js';
import { JobStore, type NewJob, toPublicJob } from './store/job-store.js';
import { ObjectIds } from './store/object-ids.js';
import type {
  BulkResult,
  CancelOptions,
  EnqueueManyItem,
  EnqueueOptions,
  Job,
  JobDataOf,
  JobHandler,
  JobId,
  JobList,
  JobMap,
  JobNameOf,
  JobPage,
  JobQuery,
  MonqueOptions,
  MonquePublicAPI,
  PausedState,
  QueueStats,
  ScheduleOptions,
  ThroughputBucket,
  WorkerOptions,
} from './types.js';
import { checkData } from './validation/data.js';
import {
  checkEnqueueOptions,
  checkScheduleOptions,
  checkUnscheduleOptions,
  checkWorkerOptions,
} from './validation/job-options.js';
import { checkName, describeValue } from './validation.js';

/** Detects a MongoDB `Db` by shape (two copies of the driver are common, so no `instanceof`). */
function isDb(value: unknown): value is Db {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Db).collection === 'function' &&
    typeof (value as Db).databaseName === 'string'
  );
}

/** Most jobs one `enqueueMany` call takes. */
export const MAX_ENQUEUE_MANY = 10_000;

/**
 * A MongoDB-backed job scheduler.
 *
 * ```ts
 * const monque = new Monque(db, { pollInterval: 500 });
 * monque.worker('send-email', async (job) => sendEmail(job.data));
 * await monque.start();
 * await monque.enqueue('send-email', { to: 'ada@example.com' });
 * ```
 *
 * The constructor does no I/O; indexes are created once by the first operation that needs them.
 */
export class Monque<J = JobMap> extends MonqueEventEmitter<J> implements MonquePublicAPI<J> {
  /** The options in force, with defaults applied. */
  readonly options: ResolvedMonqueOptions;
  private readonly store: JobStore;
  private readonly registry = new WorkerRegistry();
  private readonly writer: OutcomeWriter;
  private readonly runner: JobRunner;
  private readonly poller: Poller;
  private readonly heartbeat: Heartbeat;
  private readonly recovery: StaleRecovery;
  private readonly wakeups: ChangeStreamWakeups;
  private readonly connectionWatch: ConnectionWatch;
  private readonly operations: Operations;
  private databaseAnswers = false;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  /**
   * @param db - the MongoDB database holding the jobs collection
   * @param options - see {@link MonqueOptions}; every option has a default
   * @throws InvalidArgumentError when `db` is not a `Db` or an option is invalid
   */
  constructor(db: Db, options?: MonqueOptions) {
    super();
    if (!isDb(db)) throw new InvalidArgumentError('db', `expected a MongoDB Db, got ${describeValue(db)}`);
    this.options = resolveOptions(options);
    const { clock, pollInterval, instanceId, maxRetries, baseRetryInterval, lockTimeout } = this.options;
    const policy = { maxRetries, baseRetryInterval };
    this.store = new JobStore(db, this.options.collectionName);
    this.operations = new Operations({
      db,
      collection: this.store.collection,
      collectionName: this.options.collectionName,
      ids: new ObjectIds(db),
      clock,
      events: this as MonqueEventEmitter,
      logger: this.options.logger,
      retention: this.options.retention,
      ready: () => this.ready(),
      onPauseChanged: () => this.poller.wake(),
      onJobsPending: (name, at) => this.hint(name, at),
    });
    this.writer = new OutcomeWriter(this.store, clock);
    this.runner = new JobRunner({
      registry: this.registry,
      writer: this.writer,
      clock,
      events: this,
      policy,
      onSlotFreed: (name) => this.poller.slotFreed(name),
      reload: (job) => this.store.findById(job._id),
    });
    this.poller = new Poller({
      clock,
      pollInterval,
      freeSlots: () => this.registry.freeSlots(),
      claim: (requests, now) => this.store.claim(requests, instanceId, now),
      run: (job) => this.runner.run(job),
      onPollResult: (error) => this.recordDatabaseResult(error),
      ping: () => this.store.ping(),
    });
    this.heartbeat = new Heartbeat({
      interval: this.options.heartbeatInterval,
      activeIds: () => this.runner.activeIds(),
      renew: (ids) => this.store.renewLocks(instanceId, ids, clock.now()),
      onResult: (error) => this.recordDatabaseResult(error),
    });
    this.recovery = new StaleRecovery({
      clock,
      lockTimeout,
      interval: this.options.staleCheckInterval,
      policy,
      events: this,
      findStale: (now) => this.store.findStale(now, lockTimeout),
      apply: (outcomes, now) => this.store.applyOutcomes(outcomes, now),
      onRecovered: () => this.poller.wake(),
    });
    const client = (db as { client?: unknown }).client;
    this.connectionWatch = new ConnectionWatch(
      typeof (client as MonitoredClient | undefined)?.on === 'function' ? (client as MonitoredClient) : undefined,
      () => {
        this.databaseAnswers = false;
      },
    );
    this.wakeups = new ChangeStreamWakeups({
      open: () => this.store.watchPending(),
      onPending: (name, at) => this.hint(name, at),
      onFallback: (reason) => this.emit('wakeup:fallback', { reason }),
      reopenDelay: Math.max(pollInterval, 1000),
    });
  }

  private recordDatabaseResult(error: unknown): void {
    this.databaseAnswers = error === null;
    if (error !== null) this.emit('job:error', { error: toError(error) });
  }

  /** A job of `name` is pending from `at` (local enqueue or another instance): wake the poller in time. */
  private hint(name: string | undefined, at: Date | undefined): void {
    if (this.poller.state !== 'running') return;
    if (name !== undefined && !this.registry.hasFreeSlot(name)) return;
    if (at === undefined || at.getTime() <= this.options.clock.now().getTime()) this.poller.wake();
    else this.poller.wakeAt(at);
  }

  private async ready(): Promise<void> {
    try {
      await this.store.ensureIndexes();
    } catch (error) {
      throw new ConnectionError(
        `could not create the indexes of '${this.options.collectionName}': ${toError(error).message}`,
        error,
      );
    }
  }

  /**
   * Adds a job, due at `options.runAt` (default now). With `options.uniqueKey`, returns the
   * `pending`/`processing` job of the same name and key instead, unchanged, if there is one.
   *
   * @throws InvalidArgumentError for a bad name, data or option (nothing is written)
   */
  async enqueue<T = unknown, N extends JobNameOf<J> = JobNameOf<J>>(
    name: N,
    data: JobDataOf<J, N, T>,
    options?: EnqueueOptions,
  ): Promise<Job<JobDataOf<J, N, T>>> {
    checkName(name);
    checkData(data);
    const { runAt, uniqueKey } = checkEnqueueOptions(options);
    await this.ready();
    const now = this.options.clock.now();
    const job: NewJob<JobDataOf<J, N, T>> = { name, data, nextRunAt: runAt ?? now };
    const doc =
      uniqueKey === undefined
        ? await this.store.insert(job, now)
        : await this.store.insertUnique({ ...job, uniqueKey }, now);
    this.hint(name, doc.nextRunAt);
    return toPublicJob(doc);
  }

  /** Adds a job due now; the same as `enqueue(name, data)`. */
  now<T = unknown, N extends JobNameOf<J> = JobNameOf<J>>(
    name: N,
    data: JobDataOf<J, N, T>,
  ): Promise<Job<JobDataOf<J, N, T>>> {
    return this.enqueue<T, N>(name, data);
  }

  /**
   * Adds many jobs in a couple of round trips (unique keys respected: a key already held returns
   * the existing job). Returns the jobs in the order given.
   *
   * @throws InvalidArgumentError naming the index of the first bad item (nothing is written)
   */
  async enqueueMany<T = unknown, N extends JobNameOf<J> = JobNameOf<J>>(
    jobs: readonly EnqueueManyItem<JobDataOf<J, N, T>, N>[],
  ): Promise<Job<JobDataOf<J, N, T>>[]> {
    type D = JobDataOf<J, N, T>;
    if (!Array.isArray(jobs)) throw new InvalidArgumentError('jobs', `expected an array, got ${describeValue(jobs)}`);
    if (jobs.length > MAX_ENQUEUE_MANY) {
      throw new InvalidArgumentError('jobs', `at most ${MAX_ENQUEUE_MANY} jobs per call, got ${jobs.length}`);
    }
    const now = this.options.clock.now();
    const newJobs = jobs.map((item, index): NewJob<D> => {
      const at = `jobs[${index}]`;
      if (typeof item !== 'object' || item === null) {
        throw new InvalidArgumentError(at, `expected { name, data, options? }, got ${describeValue(item)}`);
      }
      checkName(item.name, `${at}.name`);
      checkData(item.data, `${at}.data`);
      const { runAt, uniqueKey } = checkEnqueueOptions(item.options, `${at}.options`, false);
      const job: NewJob<D> = { name: item.name, data: item.data, nextRunAt: runAt ?? now };
      if (uniqueKey !== undefined) job.uniqueKey = uniqueKey;
      return job;
    });
    if (newJobs.length === 0) return [];
    await this.ready();
    const docs = await this.store.insertMany(newJobs, now);
    for (const doc of docs) this.hint(doc.name, doc.nextRunAt);
    return docs.map((doc) => toPublicJob(doc));
  }

  /**
   * Creates or updates the recurring job `name` (+ `options.uniqueKey`): a 5-field cron expression
   * read in `options.timezone` (default UTC). Calling it again — on every boot, from every instance —
   * updates the one job (data, cron) instead of adding another.
   *
   * @throws InvalidCronError for a bad expression, InvalidArgumentError for other bad input (nothing is written)
   */
  async schedule<T = unknown, N extends JobNameOf<J> = JobNameOf<J>>(
    cron: string,
    name: N,
    data: JobDataOf<J, N, T>,
    options?: ScheduleOptions,
  ): Promise<Job<JobDataOf<J, N, T>>> {
    const expression = validateCronExpression(cron);
    checkName(name);
    checkData(data);
    const { uniqueKey, timezone } = checkScheduleOptions(options);
    if (timezone !== undefined && !isValidTimezone(timezone)) {
      throw new InvalidArgumentError(
        'options.timezone',
        `'${timezone}' is not an IANA time zone (e.g. 'Europe/Berlin')`,
      );
    }
    const now = this.options.clock.now();
    const nextRunAt = nextCronTime(expression, now, timezone);
    await this.ready();
    const spec = { name, data, cron: expression, nextRunAt, ...(uniqueKey === undefined ? {} : { uniqueKey }) };
    const doc = await this.store.upsertSchedule(timezone === undefined ? spec : { ...spec, timezone }, now);
    this.hint(name, doc.nextRunAt);
    return toPublicJob(doc);
  }

  /**
   * Removes the recurring job `name` (+ `options.uniqueKey`) created by {@link schedule}. A pending
   * one is deleted; one that is running finishes its current run, which is its last. One-off jobs of
   * the same name are not touched.
   *
   * @returns `true` when there was such a schedule
   * @throws InvalidArgumentError for a bad name or option (nothing is written)
   */
  async unschedule(name: JobNameOf<J>, options?: Pick<ScheduleOptions, 'uniqueKey'>): Promise<boolean> {
    checkName(name);
    const { uniqueKey } = checkUnscheduleOptions(options);
    await this.ready();
    return this.store.removeSchedule(name, uniqueKey, this.options.clock.now());
  }

  /**
   * Registers the handler of jobs named `name`. It receives the `Job`; a returned promise is
   * awaited; a throw or rejection is a failure (retried with backoff).
   *
   * @throws InvalidArgumentError for a bad name, handler or option; DuplicateWorkerError when `name` has a worker
   */
  worker<T = unknown, N extends JobNameOf<J> = JobNameOf<J>>(
    name: N,
    handler: JobHandler<JobDataOf<J, N, T>>,
    options?: WorkerOptions,
  ): void {
    checkName(name);
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError('handler', `expected a function, got ${describeValue(handler)}`);
    }
    const { concurrency } = checkWorkerOptions(options);
    this.registry.register(name, handler as JobHandler, concurrency ?? this.options.defaultConcurrency);
    this.poller.wake();
  }

  /**
   * Creates the indexes, recovers stale jobs (when enabled) and starts polling. Resolves once the
   * scheduler is running. Calling it while running is harmless.
   *
   * @throws ConnectionError when the database cannot be reached
   */
  start(): Promise<void> {
    if (!this.starting) {
      // A stop() from now on must stop this start, not return the previous stop's promise.
      const previousStop = this.stopping;
      this.stopping = undefined;
      this.starting = this.doStart(previousStop).catch((error: unknown) => {
        this.starting = undefined;
        throw error;
      });
    }
    return this.starting;
  }

  private async doStart(previousStop: Promise<void> | undefined): Promise<void> {
    if (previousStop) await previousStop;
    await this.ready();
    if (this.options.recoverStaleJobs) {
      try {
        await this.recovery.recoverOnce();
      } catch (error) {
        throw new ConnectionError(`stale job recovery failed: ${toError(error).message}`, error);
      }
      this.recovery.start();
    }
    this.databaseAnswers = true;
    this.connectionWatch.start();
    this.heartbeat.start();
    if (this.options.changeStreamWakeups) this.wakeups.start();
    this.poller.start();
  }

  /**
   * Stops claiming at once, waits for running jobs up to `shutdownTimeout`, then resolves. On
   * timeout it emits `job:error` with a {@link ShutdownTimeoutError} listing the jobs still running.
   * Harmless when called twice, concurrently, or before `start()`.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    // Everything below is bounded by one deadline, so stop() resolves about `shutdownTimeout`
    // after it was called even when the database is gone (writes still pending then go on in the
    // background; a job whose result is lost is recovered as stale later).
    const deadline = Date.now() + this.options.shutdownTimeout;
    const withinDeadline = (work: Promise<unknown>): Promise<boolean> => {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
      });
      return Promise.race([work.then(() => true), timedOut]).finally(() => clearTimeout(timer));
    };
    const starting = this.starting;
    this.starting = undefined;
    // Stop claiming at once (a start in progress is stopped again once it has finished).
    const pollerStopped = this.poller.stop();
    await withinDeadline(starting?.catch(() => {}) ?? Promise.resolve());
    await withinDeadline(Promise.all([pollerStopped, this.poller.stop(), this.wakeups.stop(), this.recovery.stop()]));
    if (!(await withinDeadline(this.runner.settled()))) {
      this.emit('job:error', {
        error: new ShutdownTimeoutError(this.options.shutdownTimeout, this.runner.unfinishedJobs()),
      });
    }
    await withinDeadline(
      Promise.all([
        this.writer.drain().catch((error: unknown) => this.emit('job:error', { error: toError(error) })),
        this.heartbeat.stop(),
      ]),
    );
    this.connectionWatch.stop();
    this.databaseAnswers = false;
  }

  /** `true` only while running and the database answers (a failed poll or lost connection makes it `false`). */
  isHealthy(): boolean {
    return this.poller.state === 'running' && this.databaseAnswers;
  }

  /** Whether the scheduler is running (started and not stopping). */
  get isRunning(): boolean {
    return this.poller.state === 'running';
  }

  /** The id recorded as `owner` on jobs this instance claims. */
  get instanceId(): string {
    return this.options.instanceId;
  }

  /** Asks the database to answer; `true` when it did. */
  async ping(): Promise<boolean> {
    try {
      await this.store.ping();
      return true;
    } catch {
      return false;
    }
  }

  getJob<T = unknown>(id: JobId): Promise<Job<T> | null> {
    return this.operations.getJob<T>(id);
  }

  getJobs<T = unknown>(query?: JobQuery<JobNameOf<J>>, page?: JobPage): Promise<JobList<T>> {
    return this.operations.getJobs<T>(query, page);
  }

  countJobs(query?: JobQuery<JobNameOf<J>>): Promise<number> {
    return this.operations.countJobs(query);
  }

  getStats(query?: JobQuery<JobNameOf<J>>): Promise<QueueStats> {
    return this.operations.getStats(query);
  }

  getThroughput(options?: { minutes?: number; name?: JobNameOf<J> }): Promise<ThroughputBucket[]> {
    return this.operations.getThroughput(options);
  }

  cancelJob(id: JobId, options?: CancelOptions): Promise<Job | null> {
    return this.operations.cancelJob(id, options);
  }

  retryJob(id: JobId): Promise<Job | null> {
    return this.operations.retryJob(id);
  }

  rescheduleJob(id: JobId, runAt: Date): Promise<Job | null> {
    return this.operations.rescheduleJob(id, runAt);
  }

  deleteJob(id: JobId): Promise<boolean> {
    return this.operations.deleteJob(id);
  }

  cancelJobs(query: JobQuery<JobNameOf<J>>, options?: CancelOptions): Promise<BulkResult> {
    return this.operations.cancelJobs(query, options);
  }

  retryJobs(query: JobQuery<JobNameOf<J>>): Promise<BulkResult> {
    return this.operations.retryJobs(query);
  }

  deleteJobs(query: JobQuery<JobNameOf<J>>): Promise<BulkResult> {
    return this.operations.deleteJobs(query);
  }

  pause(name?: JobNameOf<J>): Promise<void> {
    return this.operations.pause(name);
  }

  resume(name?: JobNameOf<J>): Promise<void> {
    return this.operations.resume(name);
  }

  getPaused(): Promise<PausedState> {
    return this.operations.getPaused();
  }
}
