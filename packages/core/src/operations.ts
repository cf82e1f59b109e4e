/**
 * The operations API: inspecting and controlling jobs (`getJob`, `getJobs`, `cancelJob`, `pause` …).
 * Each method checks its input (nothing reaches the database on bad input), makes one store call
 * and emits its event once the write is done. Database errors reach the caller as a
 * `ConnectionError` whose `cause` is the driver's error; Monque's own errors pass unchanged.
 */
import type { Collection, Db } from 'mongodb';
import { databaseCall } from './database-errors.js';
import { afterTelling } from './engine/dependency-release.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import type { MonqueEventEmitter } from './events.js';
import type { Job } from './job.js';
import { JobStatus } from './job.js';
import type { Clock, Logger } from './monque-options.js';
import type { ResolvedRetention } from './options.js';
import type { JobId } from './public-api.js';
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
import { ControlStore } from './store/control-store.js';
import { settledOf } from './store/dependency-store.js';
import { InspectStore, type ScheduleAfter } from './store/inspect-store.js';
import { type JobDocument, STAGED, toPublicJob } from './store/job-document.js';
import { checkJobPage } from './store/job-page.js';
import { type CheckedQuery, checkJobQuery } from './store/job-query.js';
import type { ObjectIds } from './store/object-ids.js';
import { PauseStore } from './store/pause-store.js';
import { RetentionStore } from './store/retention-store.js';
import { throttleWindows } from './store/throttle-store.js';
import { ThroughputStore } from './store/throughput-store.js';
import { checkDate, checkName, checkNumberIn, checkOptionsObject, describeValue } from './validation.js';
import type { Workflows } from './workflows.js';

/** What the operations need from the instance. */
export interface OperationsDeps {
  readonly db: Db;
  readonly collection: Collection<JobDocument>;
  readonly collectionName: string;
  readonly ids: ObjectIds;
  readonly clock: Clock;
  readonly events: MonqueEventEmitter;
  readonly logger: Logger;
  /** `false` when finished jobs are kept forever. */
  readonly retention: ResolvedRetention | false;
  /** Resolves once the indexes exist. */
  readonly ready: () => Promise<void>;
  /** This instance changed what is paused: its own poller re-reads the state now. */
  readonly onPauseChanged: () => void;
  /** Jobs of `name` (any when undefined) became pending, due at `at` (now when undefined). */
  readonly onJobsPending: (name: string | undefined, at: Date | undefined) => void;
  /** Longest wait for one call's database work (`operationTimeout`). */
  readonly operationTimeout: number;
  /** Dependencies between jobs: what cancelling, retrying and deleting owe to them. */
  readonly workflows: Workflows;
}

/** Most recurring jobs one `getSchedules` call returns. */
export const MAX_SCHEDULES = 1000;

/** Longest accepted `cancelReason`. */
export const MAX_CANCEL_REASON_LENGTH = 2000;
/** Most minutes `getThroughput` reports (one day). */
export const MAX_THROUGHPUT_MINUTES = 1440;

function checkCancelOptions(options: unknown): string | undefined {
  const { reason } = checkOptionsObject(options, 'options', ['reason']);
  if (reason === undefined) return undefined;
  if (typeof reason !== 'string' || reason.length > MAX_CANCEL_REASON_LENGTH) {
    throw new InvalidArgumentError(
      'options.reason',
      `expected a string of at most ${MAX_CANCEL_REASON_LENGTH} characters, got ${describeValue(reason)}`,
    );
  }
  return reason;
}

function checkScheduleAfter(after: unknown): ScheduleAfter {
  const given = checkOptionsObject(after, 'options.after', ['name', 'uniqueKey']);
  if (given.name === undefined) {
    throw new InvalidArgumentError('options.after', 'expected { name, uniqueKey? } of a recurring job, got no name');
  }
  const name = checkName(given.name, 'options.after.name');
  if (given.uniqueKey === undefined) return { name };
  return { name, uniqueKey: checkName(given.uniqueKey, 'options.after.uniqueKey') };
}

function checkOptionalName(name: unknown): string | null {
  return name === undefined ? null : checkName(name);
}

/** The one job name a query selects, if it selects exactly one (to wake only that worker). */
function soleName(query: CheckedQuery): string | undefined {
  return query.names?.length === 1 ? query.names[0] : undefined;
}

/** Inspects and controls jobs. */
export class Operations {
  private readonly inspect: InspectStore;
  private readonly control: ControlStore;
  /** The pause state: the engine reads it with `pauses.read()`. */
  readonly pauses: PauseStore;
  /** The per-minute counters: the engine's `ThroughputRecorder` writes to it. */
  readonly throughput: ThroughputStore;
  /** Expired jobs and counters: the engine's `RetentionSweeper` deletes through it. */
  readonly retentionStore: RetentionStore;

  constructor(readonly deps: OperationsDeps) {
    this.inspect = new InspectStore(deps.collection);
    this.control = new ControlStore(deps.collection, deps.retention);
    this.pauses = new PauseStore(deps.db, deps.collectionName);
    this.throughput = new ThroughputStore(deps.db, deps.collectionName);
    this.retentionStore = new RetentionStore(
      deps.collection,
      this.throughput.collection,
      throttleWindows(deps.db, deps.collectionName),
    );
  }

  /** Waits for the indexes, runs `work`, and turns a driver error into a `ConnectionError`. */
  private call<T>(method: string, work: () => Promise<T>): Promise<T> {
    return databaseCall(method, this.deps.operationTimeout, work, { prepare: this.deps.ready });
  }

  /**
   * {@link call} for a change: its error says `mayHaveBeenApplied` unless its command is known
   * never to have been sent (see `DatabaseCallSteps.writes`).
   */
  private change<T>(method: string, work: () => Promise<T>): Promise<T> {
    return databaseCall(method, this.deps.operationTimeout, work, { prepare: this.deps.ready, writes: true });
  }

  /** With how many jobs depend on it (one `countDocuments` more, index `monque_depends_on`). */
  async getJob<T>(id: JobId): Promise<Job<T> | null> {
    const jobId = this.deps.ids.parse(id);
    return this.call('getJob', async () => {
      const doc = await this.inspect.findById(jobId);
      if (!doc || doc.status === STAGED) return null;
      const dependents = await this.deps.workflows.store.countDependents(jobId);
      return (dependents > 0 ? { ...toPublicJob(doc), dependents } : toPublicJob(doc)) as Job<T>;
    });
  }

  async getJobs<T>(query?: JobQuery, page?: JobPage): Promise<JobList<T>> {
    const checked = checkJobQuery(query, 'query', false, this.deps.ids);
    const checkedPage = checkJobPage(page, this.deps.ids);
    const { docs, nextCursor } = await this.call('getJobs', () => this.inspect.list(checked, checkedPage));
    return { jobs: docs.map((doc) => toPublicJob(doc) as Job<T>), nextCursor };
  }

  async getSchedules<T>(options?: {
    name?: string;
    limit?: number;
    after?: { name: string; uniqueKey?: string };
  }): Promise<Job<T>[]> {
    const given = checkOptionsObject(options, 'options', ['name', 'limit', 'after']);
    const name = given.name === undefined ? undefined : checkName(given.name, 'options.name');
    const limit =
      given.limit === undefined
        ? MAX_SCHEDULES
        : checkNumberIn(given.limit, 'options.limit', { min: 1, max: MAX_SCHEDULES, integer: true });
    const after = given.after === undefined ? undefined : checkScheduleAfter(given.after);
    const docs = await this.call('getSchedules', () => this.inspect.schedules(name, limit, after));
    return docs.map((doc) => toPublicJob(doc) as Job<T>);
  }

  async countJobs(query?: JobQuery): Promise<number> {
    const checked = checkJobQuery(query, 'query', false, this.deps.ids);
    return this.call('countJobs', () => this.inspect.count(checked));
  }

  async getStats(query?: JobQuery): Promise<QueueStats> {
    const checked = checkJobQuery(query, 'query', false, this.deps.ids);
    return this.call('getStats', () => this.inspect.stats(checked, this.deps.clock.now()));
  }

  async getThroughput(options?: { minutes?: number; name?: string }): Promise<ThroughputBucket[]> {
    const given = checkOptionsObject(options, 'options', ['minutes', 'name']);
    const minutes =
      given.minutes === undefined
        ? 60
        : checkNumberIn(given.minutes, 'options.minutes', { min: 1, max: MAX_THROUGHPUT_MINUTES, integer: true });
    const name = given.name === undefined ? undefined : checkName(given.name, 'options.name');
    return this.call('getThroughput', () => this.throughput.read(this.deps.clock.now(), minutes, name));
  }

  async cancelJob(id: JobId, options?: CancelOptions): Promise<Job | null> {
    const jobId = this.deps.ids.parse(id);
    const reason = checkCancelOptions(options);
    const { job, cancelled } = await this.change('cancelJob', async () => {
      const result = await this.control.cancel(jobId, reason, this.deps.clock.now());
      if (result.cancelled && result.job?.notifyDependents) {
        await this.deps.workflows.release.tell([settledOf(result.job)]);
      }
      return result;
    });
    if (!job) return null;
    const publicJob = toPublicJob(job);
    if (cancelled) this.deps.events.emit('job:cancelled', { job: publicJob });
    return publicJob;
  }

  async retryJob(id: JobId): Promise<Job | null> {
    const jobId = this.deps.ids.parse(id);
    const now = this.deps.clock.now();
    const doc = await this.change('retryJob', async () => {
      const retried = await this.control.retry(jobId, now);
      if (retried?.status !== JobStatus.WAITING) return retried;
      // A job with dependencies waits for them again (and runs at once if they all completed).
      return afterTelling(retried, await this.deps.workflows.release.link([retried]));
    });
    if (!doc) return null;
    const job = toPublicJob(doc);
    this.deps.events.emit('job:retried', { job });
    if (job.status === JobStatus.PENDING) this.deps.onJobsPending(job.name, now);
    return job;
  }

  async rescheduleJob(id: JobId, runAt: Date): Promise<Job | null> {
    const jobId = this.deps.ids.parse(id);
    checkDate(runAt, 'runAt');
    const doc = await this.change('rescheduleJob', () => this.control.reschedule(jobId, runAt, this.deps.clock.now()));
    if (!doc) return null;
    this.deps.onJobsPending(doc.name, runAt);
    return toPublicJob(doc);
  }

  async deleteJob(id: JobId): Promise<boolean> {
    const jobId = this.deps.ids.parse(id);
    const deleted = await this.change('deleteJob', async () => {
      const result = await this.control.delete(jobId);
      if (typeof result === 'boolean') return result;
      return (await this.deleteWithDependents([result])) > 0;
    });
    if (deleted) this.deps.events.emit('job:deleted', { jobId });
    return deleted;
  }

  /** `query` is required; `{}` selects every job. */
  async cancelJobs(query: JobQuery, options?: CancelOptions): Promise<BulkResult> {
    const checked = checkJobQuery(query, 'query', true, this.deps.ids);
    const reason = checkCancelOptions(options);
    const count = await this.change('cancelJobs', async () => {
      const now = this.deps.clock.now();
      const cancelled = await this.control.cancelMany(checked, reason, now);
      const { store, release } = this.deps.workflows;
      await release.tell((await store.findCancelledAt(now)).map(settledOf));
      return cancelled;
    });
    this.deps.logger.info('cancelJobs: jobs cancelled or asked to stop', { count });
    this.deps.events.emit('jobs:cancelled', { query, count });
    return { count };
  }

  /** `query` is required; `{}` selects every job. */
  async retryJobs(query: JobQuery): Promise<BulkResult> {
    const checked = checkJobQuery(query, 'query', true, this.deps.ids);
    const now = this.deps.clock.now();
    const count = await this.change('retryJobs', async () => {
      const retried = await this.control.retryMany(checked, now);
      const { store, release } = this.deps.workflows;
      await release.link(await store.findUnlinkedAt(now));
      return retried;
    });
    this.deps.logger.info('retryJobs: jobs retried', { count });
    this.deps.events.emit('jobs:retried', { query, count });
    if (count > 0) this.deps.onJobsPending(soleName(checked), now);
    return { count };
  }

  /** `query` is required; `{}` selects every job. */
  async deleteJobs(query: JobQuery): Promise<BulkResult> {
    const checked = checkJobQuery(query, 'query', true, this.deps.ids);
    const count = await this.change('deleteJobs', async () => {
      const { deleted, withDependents } = await this.control.deleteMany(checked);
      return deleted + (await this.deleteWithDependents(withDependents));
    });
    this.deps.logger.info('deleteJobs: jobs deleted', { count });
    this.deps.events.emit('jobs:deleted', { query, count });
    return { count };
  }

  /**
   * Deletes jobs with dependents: their dependents are told first (a job deleted before it
   * completed cancels them, unless `onDependencyFailure: 'run'`), then they are deleted.
   * @returns how many were deleted
   */
  private async deleteWithDependents(docs: readonly JobDocument[]): Promise<number> {
    if (docs.length === 0) return 0;
    const { store, release } = this.deps.workflows;
    const marked = await store.beginDelete(docs, this.deps.clock.now());
    await release.tell(marked.map(settledOf));
    return marked.length;
  }

  async pause(name?: string): Promise<void> {
    const paused = checkOptionalName(name);
    await this.change('pause', () => this.pauses.pause(paused, this.deps.clock.now()));
    this.deps.logger.info(paused === null ? 'paused every job name' : 'paused a job name', { name: paused });
    this.deps.events.emit('queue:paused', { name: paused });
    this.deps.onPauseChanged();
  }

  async resume(name?: string): Promise<void> {
    const resumed = checkOptionalName(name);
    await this.change('resume', () => this.pauses.resume(resumed));
    this.deps.logger.info(resumed === null ? 'resumed every job name' : 'resumed a job name', { name: resumed });
    this.deps.events.emit('queue:resumed', { name: resumed });
    this.deps.onPauseChanged();
  }

  async getPaused(): Promise<PausedState> {
    return this.call('getPaused', () => this.pauses.read());
  }
}
