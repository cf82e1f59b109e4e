/**
 * The public face of Monque: checks the database handle and options, builds the parts of one
 * instance, and hands each method to the part that does it — producing jobs to the
 * {@link Producer}, running them to the {@link Engine}, inspecting and controlling them to
 * {@link Operations}. It holds no query and no loop of its own.
 */
import type { Db } from 'mongodb';
import { Deduplicator } from './deduplicator.js';
import { DependentJobs } from './dependent-jobs.js';
import { Engine } from './engine/engine.js';
import { EnqueueCoalescer } from './engine/enqueue-coalescer.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import type { MonqueEventEmitter as Emitter } from './events.js';
import { MonqueEventEmitter } from './events.js';
import type { FlowNode, FlowOptions, FlowSpecOf } from './flow-spec.js';
import { FlowWriter } from './flow-writer.js';
import type { Job } from './job.js';
import type { DefaultJobName, EnqueueManyItemOf, JobDataOf, JobMap, JobNameOf } from './job-map.js';
import type { EnqueueManyOptions, EnqueueOptions, JobHandler, ScheduleOptions, WorkerOptions } from './job-options.js';
import type { MonqueOptions } from './monque-options.js';
import { Operations } from './operations.js';
import { type ResolvedMonqueOptions, resolveOptions } from './options.js';
import { MAX_ENQUEUE_MANY, Producer } from './producer.js';
import type { JobId, MonquePublicAPI } from './public-api.js';
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
import { DedupeStore } from './store/dedupe-store.js';
import { IndexManager } from './store/indexes.js';
import { InsertStore } from './store/insert-store.js';
import { type JobDocument, toPublicJob } from './store/job-document.js';
import { ObjectIds } from './store/object-ids.js';
import { ScheduleStore } from './store/schedule-store.js';
import { ThrottleStore, throttleWindows } from './store/throttle-store.js';
import { createInstrumentation } from './telemetry/create-instrumentation.js';
import { countDueJobs } from './telemetry/due-jobs.js';
import { checkWorkerOptions } from './validation/job-options.js';
import { checkName, describeValue } from './validation.js';
import { createWorkflows } from './workflows.js';

export { MAX_ENQUEUE_MANY };

/** `tree` with each job as users see it (no engine fields). */
function publicTree(tree: FlowNode): FlowNode {
  return { job: toPublicJob(tree.job as JobDocument), children: tree.children.map(publicTree) };
}

/** Checks the `Db` by shape (two copies of the driver are common, so no `instanceof`). */
function checkDb(value: unknown): Db {
  const db = value as Partial<Db> | null;
  if (
    typeof db === 'object' &&
    db !== null &&
    typeof db.collection === 'function' &&
    typeof db.databaseName === 'string'
  ) {
    return value as Db;
  }
  const isClient =
    typeof (value as { db?: unknown } | null)?.db === 'function' &&
    typeof (value as { connect?: unknown }).connect === 'function';
  throw new InvalidArgumentError(
    'db',
    isClient
      ? 'expected a MongoDB Db, got a MongoClient: pass client.db(name) (e.g. new Monque(client.db("app")))'
      : `expected a MongoDB Db, got ${describeValue(value)}`,
  );
}

/**
 * A MongoDB-backed job scheduler.
 *
 * ```ts
 * const monque = new Monque(db, { pollInterval: 500 });
 * monque.worker('send-email', async (job, { signal }) => sendEmail(job.data, { signal }));
 * await monque.start();
 * await monque.enqueue('send-email', { to: 'ada@example.com' });
 * ```
 *
 * `J` maps job names to payload types (`new Monque<{ 'send-email': { to: string } }>(db)`) so
 * names and payloads are checked at compile time; without it any name and payload is accepted.
 * The constructor does no I/O; indexes are created once by the first operation that needs them.
 */
export class Monque<J = JobMap> extends MonqueEventEmitter<J> implements MonquePublicAPI<J> {
  /** The options in force, with defaults applied. */
  readonly options: ResolvedMonqueOptions;
  private readonly engine: Engine;
  private readonly producer: Producer;
  private readonly operations: Operations;

  /**
   * @param db - the MongoDB database holding the jobs collection (`client.db(name)`)
   * @param options - see {@link MonqueOptions}; every option has a default
   * @throws InvalidArgumentError when `db` is not a `Db` or an option is invalid
   */
  constructor(db: Db, options?: MonqueOptions) {
    super();
    checkDb(db);
    this.options = resolveOptions(options);
    const { clock, collectionName } = this.options;
    const events = this as Emitter;
    const collection = db.collection<JobDocument>(collectionName);
    const indexes = new IndexManager(collection, this.options.dataIndexes);
    const ready = () => indexes.ensure();
    const instrumentation = createInstrumentation(this.options.telemetry, {
      // Only called when metrics are collected, so the engine exists by then.
      dueJobs: () => (this.isRunning ? countDueJobs(collection, clock.now()) : undefined),
      logger: this.options.logger,
    });
    const hint = (name: string | undefined, at: Date | undefined) => this.engine.hint(name, at);
    const ids = new ObjectIds(db);
    const inserts = new InsertStore(collection);
    const workflows = createWorkflows({
      collection,
      inserts,
      ids,
      clock,
      events,
      retention: this.options.retention,
      onReleased: hint,
    });
    this.operations = new Operations({
      db,
      collection,
      collectionName,
      ids,
      clock,
      events,
      logger: this.options.logger,
      retention: this.options.retention,
      ready,
      onPauseChanged: () => this.engine.pauseChanged(),
      onJobsPending: hint,
      operationTimeout: this.options.operationTimeout,
      workflows,
    });
    this.engine = new Engine({
      db,
      collection,
      options: this.options,
      events,
      instrumentation,
      ready,
      pauses: this.operations.pauses,
      throughput: this.operations.throughput,
      retention: this.operations.retentionStore,
      workflows,
    });
    const dependents = new DependentJobs({ inserts, store: workflows.store, release: workflows.release, ids });
    this.producer = new Producer({
      inserts,
      schedules: new ScheduleStore(collection),
      coalescer: new EnqueueCoalescer(inserts, () => clock.now(), this.options.operationTimeout),
      deduplicator: new Deduplicator({
        dedupe: new DedupeStore(collection, inserts),
        throttles: new ThrottleStore(throttleWindows(db, collectionName), collection, inserts),
        newId: () => ids.create(),
      }),
      deduplicated: (doc, outcome) => events.emit('job:deduplicated', { job: toPublicJob(doc), outcome }),
      clock,
      instrumentation,
      operationTimeout: this.options.operationTimeout,
      bsonVersion: ids.version,
      ready,
      hint,
      ids,
      dependents,
      flows: new FlowWriter({
        inserts,
        flows: workflows.flows,
        store: workflows.store,
        dependents,
        release: workflows.release,
        ids,
        logger: this.options.logger,
      }),
    });
  }

  /** The id recorded as `owner` on jobs this instance claims. */
  get instanceId(): string {
    return this.options.instanceId;
  }

  /** Whether the scheduler is running (started and not stopping). */
  get isRunning(): boolean {
    return this.engine.state === 'running';
  }

  async enqueue<T = unknown, N extends JobNameOf<J> = DefaultJobName<J>>(
    name: N,
    data: JobDataOf<J, N, T>,
    options?: EnqueueOptions,
  ): Promise<Job<JobDataOf<J, N, T>>> {
    return toPublicJob(await this.producer.enqueue(name, data, options)) as Job<JobDataOf<J, N, T>>;
  }

  now<T = unknown, N extends JobNameOf<J> = DefaultJobName<J>>(
    name: N,
    data: JobDataOf<J, N, T>,
  ): Promise<Job<JobDataOf<J, N, T>>> {
    return this.enqueue<T, N>(name, data);
  }

  async enqueueMany<T = unknown, N extends JobNameOf<J> = DefaultJobName<J>>(
    jobs: readonly EnqueueManyItemOf<J, N, T>[],
    options?: EnqueueManyOptions,
  ): Promise<Job<JobDataOf<J, N, T>>[]> {
    const docs = await this.producer.enqueueMany(jobs, options);
    return docs.map((doc) => toPublicJob(doc) as Job<JobDataOf<J, N, T>>);
  }

  async flow(spec: FlowSpecOf<J>, options?: FlowOptions): Promise<FlowNode> {
    return publicTree(await this.producer.flow(spec, options));
  }

  async schedule<T = unknown, N extends JobNameOf<J> = DefaultJobName<J>>(
    cron: string,
    name: N,
    data: JobDataOf<J, N, T>,
    options?: ScheduleOptions,
  ): Promise<Job<JobDataOf<J, N, T>>> {
    return toPublicJob(await this.producer.schedule(cron, name, data, options)) as Job<JobDataOf<J, N, T>>;
  }

  unschedule(name: JobNameOf<J>, options?: Pick<ScheduleOptions, 'uniqueKey'>): Promise<boolean> {
    return this.producer.unschedule(name, options);
  }

  worker<T = unknown, N extends JobNameOf<J> = DefaultJobName<J>>(
    name: N,
    handler: JobHandler<JobDataOf<J, N, T>>,
    options?: WorkerOptions,
  ): void {
    checkName(name);
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError('handler', `expected a function, got ${describeValue(handler)}`);
    }
    const { concurrency, ...policy } = checkWorkerOptions(options);
    this.engine.register(name, handler as JobHandler, concurrency ?? this.options.defaultConcurrency, policy);
  }

  start(): Promise<void> {
    return this.engine.start();
  }

  stop(): Promise<void> {
    return this.engine.stop();
  }

  isHealthy(): boolean {
    return this.engine.isHealthy();
  }

  ping(): Promise<boolean> {
    return this.engine.ping();
  }

  getJob<T = unknown>(id: JobId): Promise<Job<T> | null> {
    return this.operations.getJob<T>(id);
  }

  getJobs<T = unknown>(query?: JobQuery<JobNameOf<J>>, page?: JobPage): Promise<JobList<T>> {
    return this.operations.getJobs<T>(query, page);
  }

  getSchedules<T = unknown>(options?: {
    name?: JobNameOf<J>;
    limit?: number;
    after?: { name: string; uniqueKey?: string };
  }): Promise<Job<T>[]> {
    return this.operations.getSchedules<T>(options);
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
