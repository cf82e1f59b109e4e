/**
 * The engine of one instance, assembled: workers, the claim loop, the runner, outcome writes,
 * heartbeat, stale recovery, wake-ups, retention and throughput counting, and the life cycle that
 * starts and stops them. `Monque` drives it; nothing here is public.
 */
import type { Collection, Db } from 'mongodb';
import { databaseCall, engineConnectionError, withTimeout } from '../database-errors.js';
import type { MonqueEventEmitter } from '../events.js';
import type { FlowControlOptions } from '../flow-control-options.js';
import type { JobHandler } from '../job-options.js';
import type { ResolvedMonqueOptions } from '../options.js';
import { ClaimStore } from '../store/claim-store.js';
import type { JobDocument } from '../store/job-document.js';
import type { LimitStore } from '../store/limit-store.js';
import { LimitedClaimStore } from '../store/limited-claim-store.js';
import { LockStore } from '../store/lock-store.js';
import { OutcomeStore } from '../store/outcome-store.js';
import type { PauseStore } from '../store/pause-store.js';
import { watchPending } from '../store/pending-watch.js';
import type { RetentionStore } from '../store/retention-store.js';
import type { ThroughputStore } from '../store/throughput-store.js';
import type { Workflows } from '../workflows.js';
import { ChangeStreamWakeups } from './change-stream-wakeups.js';
import { Claimer } from './claimer.js';
import { ConnectionWatch, type MonitoredClient } from './connection-watch.js';
import { dependencyResults } from './dependency-release.js';
import { FollowUps } from './follow-ups.js';
import { GiveBack } from './give-back.js';
import { Heartbeat } from './heartbeat.js';
import type { Instrumentation } from './instrumentation.js';
import { LimitRecords } from './limits/limit-records.js';
import { LimitedClaimer } from './limits/limited-claimer.js';
import { LockDeadline } from './lock-deadline.js';
import { type DecisionSettings, recoveryPolicyFor, toError } from './outcome.js';
import { OutcomeWriter } from './outcome-writer.js';
import { PauseGate } from './pause-gate.js';
import { Poller } from './poller.js';
import { RetentionSweeper } from './retention-sweeper.js';
import { JobRunner } from './runner.js';
import { type BackgroundTask, Scheduler, type SchedulerState } from './scheduler.js';
import { StaleRecovery } from './stale-recovery.js';
import { ThroughputRecorder } from './throughput-recorder.js';
import { type WorkerPolicy, WorkerRegistry } from './worker-registry.js';
import { WorkflowSweep } from './workflow-sweep.js';

/** What the engine is built from. */
export interface EngineDeps {
  readonly db: Db;
  readonly collection: Collection<JobDocument>;
  readonly options: ResolvedMonqueOptions;
  readonly events: MonqueEventEmitter;
  readonly instrumentation: Instrumentation;
  /** Creates the indexes. */
  readonly ready: () => Promise<void>;
  /** Creates the unique slot indexes of flow control (only where concurrency limits are used). */
  readonly slotIndexes: () => Promise<void>;
  readonly pauses: PauseStore;
  readonly throughput: ThroughputStore;
  readonly retention: RetentionStore;
  /** Flow-control records. */
  readonly limits: LimitStore;
  /** Dependencies, flows and dead letters. */
  readonly workflows: Workflows;
}

/** The running side of one instance. */
export class Engine {
  readonly registry: WorkerRegistry;
  private readonly scheduler: Scheduler;
  private readonly poller: Poller;
  private readonly pauseGate: PauseGate;
  private readonly limits: LimitStore;
  private readonly limitRecords: LimitRecords;
  private readonly recovery: StaleRecovery;
  private readonly events: MonqueEventEmitter;
  private readonly probe: () => Promise<void>;
  private readonly followUps: FollowUps;
  private databaseAnswers = false;

  constructor(deps: EngineDeps) {
    const { options, events, collection } = deps;
    this.events = events;
    const { clock, instanceId: owner, logger, operationTimeout: timeout } = options;
    const bounded = <T>(what: string, work: Promise<T>) => withTimeout(work, timeout, what);
    const claims = new ClaimStore(collection, options.retention);
    const limitedClaims = new LimitedClaimStore(collection, claims);
    this.limits = deps.limits;
    const locks = new LockStore(collection);
    this.probe = () => bounded('ping', locks.ping());
    const outcomes = new OutcomeStore(collection);
    const settings: DecisionSettings = options;
    this.registry = new WorkerRegistry(options.instanceConcurrency);
    const giveBack = new GiveBack({ store: claims, owner, clock, timeout, events });
    const writer = new OutcomeWriter(
      outcomes,
      (error, consecutive) => {
        this.databaseResult(error, 'writing job outcomes');
        if (consecutive === 1) logger.warn('could not write job outcomes; retrying', { error: toError(error).message });
      },
      { writeTimeout: timeout },
    );
    const recorder = new ThroughputRecorder({ store: deps.throughput, events, logger, timeout });
    const { workflows } = deps;
    this.followUps = new FollowUps({
      release: workflows.release,
      deadLetters: workflows.deadLetters,
      inserts: workflows.inserts,
      ids: workflows.ids,
      now: () => clock.now(),
      timeout,
      onError: (error) =>
        events.emit('job:error', { error: engineConnectionError('following up finished jobs', error) }),
    });
    const runner: JobRunner = new JobRunner({
      registry: this.registry,
      writer,
      clock,
      events,
      settings,
      logger,
      instrumentation: deps.instrumentation,
      setProgress: (run, value) => bounded('storing progress', locks.setProgress(run, value)),
      // Outside stop(), a give-back is tried for up to one operationTimeout.
      release: (runs, until = Date.now() + timeout) =>
        giveBack.release(
          [...new Set(runs.map((run) => run.token))],
          runs.map((run) => run.id),
          until,
        ),
      onSlotFreed: (name) => this.poller.slotFreed(name),
      onRunReleased: (name) => this.poller.limitFreed(name),
      onJobPending: (name, at) => this.hint(name, at),
      onRunEnded: (name, ending, at) => {
        if (ending !== 'cancelled') recorder.record(name, ending, at);
      },
      onRateLimited: (job, until) => this.limitRecords.hold(job, until),
      followUps: this.followUps,
      dependencies: (job) => bounded('reading dependencies', dependencyResults(workflows.store, job)),
    });
    this.pauseGate = new PauseGate(
      () => bounded('reading paused names', deps.pauses.readGate()),
      options.pollInterval,
      clock,
    );
    const claimer = new Claimer({
      store: claims,
      owner,
      pauses: this.pauseGate,
      busyIds: () => runner.busyIds(),
      timeout,
      onLateClaim: () => this.poller.wake(),
      giveBack: (tokens, until) => giveBack.release(tokens, undefined, until),
      retryLimitOf: (name) => this.registry.get(name)?.policy.maxRetries ?? options.maxRetries,
      deadLetterOf: (name) => this.registry.get(name)?.policy.deadLetter,
      stallLimit: options.maxStalls,
      limited: (bridge) =>
        new LimitedClaimer({
          store: limitedClaims,
          claims,
          limits: this.limits,
          owner,
          clock,
          timeout,
          // A rate record keeps starts that long after they stop counting here (at most MAX_KEPT_BUCKETS).
          clockSkewTolerance: Number.isFinite(options.clockSkewTolerance)
            ? options.clockSkewTolerance
            : Number.MAX_SAFE_INTEGER,
          limitsOf: (name) => this.registry.get(name)?.flow,
          abandoned: (name) => runner.abandoned(name),
          random: Math.random,
          slotIndexes: deps.slotIndexes,
          ...bridge,
        }),
    });
    this.limitRecords = new LimitRecords({
      limits: this.limits,
      pauses: deps.pauses,
      pauseGate: this.pauseGate,
      rates: () => claimer.limited?.rates,
      workerLimits: () => this.registry.flowLimits(),
      instanceId: owner,
      clock,
      timeout,
      onError: (error, what) => this.databaseResult(error, what),
    });
    this.poller = new Poller({
      clock,
      pollInterval: options.pollInterval,
      claimer,
      freeSlots: () => this.registry.freeSlots(),
      run: (job) => runner.run(job),
      runsHere: (job) => runner.holds(job._id.toHexString(), job.claimToken),
      release: (jobs) => runner.releaseUnstarted(jobs),
      onPollResult: (error) => this.databaseResult(error, 'claiming jobs'),
      ping: () => bounded('ping', locks.ping()),
      mostlyBusy: () => this.registry.mostlyBusy(),
    });
    const heartbeat = new Heartbeat({
      interval: options.heartbeatInterval,
      heldRuns: () => runner.heldRuns(),
      // A renewal answered after lockTimeout is worth nothing (the lock may be another's by then).
      renew: async (runs) => {
        const at = clock.now();
        const report = await withTimeout(
          locks.renew(owner, runs, at),
          Math.min(timeout, options.lockTimeout),
          'renewing locks',
        );
        runner.lockRenewed(runs, at);
        return report;
      },
      onReport: (report) => runner.renewed(report),
      onResult: (error) => this.databaseResult(error, 'renewing locks'),
    });
    this.recovery = new StaleRecovery({
      clock,
      lockTimeout: options.lockTimeout,
      clockSkewTolerance: options.clockSkewTolerance,
      interval: options.staleCheckInterval,
      settings,
      events,
      logger,
      findProcessing: () => bounded('reading locks', locks.findProcessing(1000)),
      owner,
      runsHere: (doc) => runner.holds(doc._id.toHexString(), doc.claimToken),
      policyOf: (job) => recoveryPolicyFor(job, this.registry.get(job.name)?.policy, settings),
      apply: (list) => bounded('recovering stale jobs', outcomes.apply(list)),
      onRecovered: () => this.poller.wake(),
      followUps: this.followUps,
      workerDeadLetter: (job) => this.registry.get(job.name)?.policy.deadLetter,
    });
    const sweep = new WorkflowSweep({
      dependencies: workflows.store,
      release: workflows.release,
      deadLetters: workflows.deadLetters,
      flows: workflows.flows,
      inserts: workflows.inserts,
      ids: workflows.ids,
      clock,
      events,
      logger,
      interval: options.staleCheckInterval,
      stagedGrace: timeout,
      bounded: (what, work) => bounded(what, work()),
    });
    const deadline = new LockDeadline({
      clock,
      lockTimeout: options.lockTimeout,
      heartbeatInterval: options.heartbeatInterval,
      abortUnrenewedSince: (before, overdueMs) => runner.abortUnrenewedSince(before, overdueMs),
    });
    const background: BackgroundTask[] = [this.connectionWatch(deps.db), sweep];
    if (options.retention !== false) {
      background.push(
        new RetentionSweeper({
          store: deps.retention,
          clock,
          interval: options.retention.sweepInterval,
          timeout,
          events,
          logger,
        }),
      );
    }
    if (options.changeStreamWakeups) {
      background.push(
        new ChangeStreamWakeups({
          open: () => watchPending(collection),
          onPending: (name, at) => this.hint(name, at),
          onFallback: (reason) => events.emit('wakeup:fallback', { reason }),
          reopenDelay: Math.max(options.pollInterval, 1000),
        }),
      );
    }
    this.scheduler = new Scheduler({
      clock,
      events,
      logger,
      shutdownTimeout: options.shutdownTimeout,
      recoverStaleJobs: options.recoverStaleJobs,
      ready: () =>
        databaseCall('start()', timeout, async () => {
          await deps.ready();
          await this.limitRecords.publish();
        }),
      recovery: this.recovery,
      poller: this.poller,
      claimer,
      runner,
      writer,
      heartbeat,
      background,
      // The follow-ups of the last outcomes (dependents to tell, dead letters) are awaited too.
      // The lock deadline watches the runs stop() still waits for.
      lastToStop: [
        recorder,
        deadline,
        {
          start: () => {
            giveBack.start();
            this.limitRecords.start();
          },
          stop: () => this.followUps.drain(),
        },
      ],
      onRunning: () => {
        this.databaseAnswers = true;
      },
      onStopped: () => {
        this.databaseAnswers = false;
        // Writes still being tried again (give-backs begun outside the stop's own, rate-limit holds) end: none is sent after stop().
        giveBack.stop();
        this.limitRecords.stop();
      },
    });
  }

  private connectionWatch(db: Db): BackgroundTask {
    const client = (db as { client?: unknown }).client;
    const monitored =
      typeof (client as MonitoredClient | undefined)?.on === 'function' ? (client as MonitoredClient) : undefined;
    return new ConnectionWatch(monitored, () => {
      this.databaseAnswers = false;
    });
  }

  /**
   * Records the result of a database round trip of the engine (health, and `job:error` with a
   * `ConnectionError` whose cause is the driver's error).
   */
  private databaseResult(error: unknown, what = 'a database round trip of the engine'): void {
    this.databaseAnswers = error === null;
    // Time without contact does not count towards other instances' locks (see stale-recovery.ts).
    this.recovery.databaseResult(error);
    if (error === null) return;
    this.events.emit('job:error', { error: engineConnectionError(what, error) });
  }

  /** Registers a worker and wakes the loop. */
  register(
    name: string,
    handler: JobHandler,
    concurrency: number,
    policy: WorkerPolicy,
    flow?: FlowControlOptions,
  ): void {
    this.registry.register(name, handler, concurrency, policy, flow);
    if (flow && this.scheduler.state === 'running') this.limitRecords.republish();
    this.poller.wake();
  }

  /** A job of `name` is pending from `at` (a local write or another instance's): wake the loop in time. */
  hint(name: string | undefined, at: Date | undefined): void {
    if (this.poller.state !== 'running') return;
    if (name !== undefined && !this.registry.hasFreeSlot(name)) return;
    if (at === undefined) this.poller.wake();
    else this.poller.wakeAt(at);
  }

  /** This instance paused or resumed something: read the state again and look at once. */
  pauseChanged(): void {
    this.pauseGate.invalidate();
    this.poller.wake();
  }

  start(): Promise<void> {
    return this.scheduler.start();
  }

  stop(): Promise<void> {
    return this.scheduler.stop();
  }

  get state(): SchedulerState {
    return this.scheduler.state;
  }

  /** Asks the database to answer; `true` when it did within `operationTimeout`. */
  async ping(): Promise<boolean> {
    try {
      await this.probe();
      return true;
    } catch {
      return false;
    }
  }

  /** `true` only while running and the database answers. */
  isHealthy(): boolean {
    return this.scheduler.state === 'running' && this.databaseAnswers;
  }
}
