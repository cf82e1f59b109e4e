/**
 * The life cycle of one instance's engine, as one explicit state machine:
 *
 *   stopped ──start()──▶ starting ──(indexes, orphans recovered)──▶ running
 *      ▲                    │                                          │
 *      └──── stopping ◀─────┴────────────── stop() ◀──────────────────┘
 *
 * - `start()` while starting returns the same promise; while stopping, it starts again after.
 * - `stop()` while starting stops the start: every step of `start()` checks that it is still the
 *   current start, so nothing starts after `stop()` has resolved. Once `stop()` has resolved,
 *   nothing is claimed, no handler is started and no timer of the engine is left. A later `stop()`
 *   resolves at once.
 * - Stopping: claiming stops at once (jobs of a claim in flight are given back unstarted); running
 *   jobs get `shutdownTimeout` to finish and have their outcomes written; then the signals of those
 *   still running abort with a `ShutdownTimeoutError` and their jobs are given back, and after a
 *   last short grace for these writes (outcomes still unwritten are given up), the run counts are
 *   flushed and `stop()` resolves.
 */
import { ConnectionError } from '../errors/connection-error.js';
import { ShutdownTimeoutError } from '../errors/shutdown-timeout-error.js';
import type { MonqueEventEmitter } from '../events.js';
import type { Clock, Logger } from '../monque-options.js';
import type { Claimer } from './claimer.js';
import type { Heartbeat } from './heartbeat.js';
import { toError } from './outcome.js';
import type { OutcomeWriter } from './outcome-writer.js';
import type { Poller } from './poller.js';
import type { JobRunner } from './runner.js';
import type { StaleRecovery } from './stale-recovery.js';

/** The states of the engine. */
export type SchedulerState = 'stopped' | 'starting' | 'running' | 'stopping';

/** A timer-driven part of the engine (change-stream wake-ups, retention sweep, metrics, …). */
export interface BackgroundTask {
  start(): void;
  stop(): Promise<void> | void;
}

/** What the life cycle drives. */
export interface SchedulerDeps {
  readonly clock: Clock;
  readonly events: MonqueEventEmitter;
  readonly logger: Logger;
  readonly shutdownTimeout: number;
  readonly recoverStaleJobs: boolean;
  /** Creates the indexes. */
  readonly ready: () => Promise<void>;
  readonly recovery: StaleRecovery;
  readonly poller: Poller;
  readonly claimer: Claimer;
  readonly runner: JobRunner;
  readonly writer: OutcomeWriter;
  readonly heartbeat: Heartbeat;
  /** Started after everything else, stopped before the runs are awaited. */
  readonly background: readonly BackgroundTask[];
  /**
   * Started with `background`, stopped once the last outcome is written or given up (the throughput
   * recorder: runs that end while `stop()` waits for them are counted too).
   */
  readonly lastToStop: readonly BackgroundTask[];
  /** Called once running (health turns true). */
  readonly onRunning: () => void;
  /** Called once stopped (health turns false). */
  readonly onStopped: () => void;
}

/** Writes still allowed after `shutdownTimeout` (giving jobs back, last outcomes). */
const FINAL_GRACE_MS = 1000;

/** Starts and stops the engine. */
export class Scheduler {
  state: SchedulerState = 'stopped';
  private generation = 0;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly deps: SchedulerDeps) {}

  /** See the class comment. @throws ConnectionError when the database cannot be reached */
  start(): Promise<void> {
    if (this.state === 'running') return Promise.resolve();
    if (this.state === 'starting') return this.starting as Promise<void>;
    if (this.state === 'stopping') return (this.stopping as Promise<void>).then(() => this.start());
    this.state = 'starting';
    this.generation += 1;
    const generation = this.generation;
    this.starting = this.doStart(generation).catch((error: unknown) => {
      if (this.generation === generation) this.state = 'stopped';
      throw error;
    });
    return this.starting;
  }

  private async doStart(generation: number): Promise<void> {
    const { deps } = this;
    const current = (): boolean => this.generation === generation && this.state === 'starting';
    await deps.ready();
    if (!current()) return;
    if (deps.recoverStaleJobs) {
      try {
        await deps.recovery.recoverOnce(true);
      } catch (error) {
        throw new ConnectionError(`stale job recovery failed: ${toError(error).message}`, error);
      }
      if (!current()) return;
      deps.recovery.start();
    }
    this.state = 'running';
    deps.writer.reopen();
    deps.heartbeat.start();
    for (const task of [...deps.background, ...deps.lastToStop]) task.start();
    deps.poller.start();
    deps.onRunning();
    deps.logger.info('monque started');
  }

  /** See the class comment. */
  stop(): Promise<void> {
    if (this.state === 'stopped') return Promise.resolve();
    if (this.state === 'stopping') return this.stopping as Promise<void>;
    this.generation += 1;
    this.state = 'stopping';
    this.stopping = this.doStop().finally(() => {
      this.state = 'stopped';
      this.deps.onStopped();
    });
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const { deps } = this;
    const deadline = Date.now() + deps.shutdownTimeout;
    const within = (work: Promise<unknown> | undefined, until = deadline) => settleBy(work, until);
    // A turn still waiting for the database is given up on: it claims nothing after stop() resolved.
    if (!(await within(Promise.all([deps.poller.stop(), this.starting?.catch(() => {})])))) deps.poller.detach();
    await within(Promise.all([deps.recovery.stop(), ...deps.background.map(async (task) => task.stop())]));
    const graceEnd = Math.max(Date.now(), deadline) + FINAL_GRACE_MS;
    if (!(await within(deps.runner.idle()))) {
      const error = new ShutdownTimeoutError(deps.shutdownTimeout, deps.runner.unfinishedJobs());
      deps.logger.warn('stop() gave up waiting for running jobs; they are given back', {
        jobIds: error.incompleteJobs.map((job) => job._id.toHexString()),
      });
      deps.events.emit('job:error', { error });
      await within(deps.runner.shutdown(error, graceEnd), graceEnd);
    }
    if (!(await within(deps.writer.drain(), graceEnd))) deps.writer.abandon();
    await within(Promise.all(deps.lastToStop.map(async (task) => task.stop())), graceEnd);
    await within(
      deps.claimer
        .releaseLost(graceEnd)
        .catch((error: unknown) => deps.events.emit('job:error', { error: toError(error) })),
      graceEnd,
    );
    await within(deps.heartbeat.stop(), graceEnd);
    // The writer closes: an outcome queued after it drained (a run's write that found its job
    // changed, say a cancellation during stop(), decided again), or later still, is given up and
    // reported (the job is recovered later). Nothing is written, and no retry timer is left, after
    // stop() resolves; start() opens it again.
    deps.writer.abandon();
    deps.logger.info('monque stopped');
  }
}

/** Waits for `work` until `until` (epoch ms); `true` when it settled in time. */
async function settleBy(work: Promise<unknown> | undefined, until: number): Promise<boolean> {
  if (!work) return true;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, until - Date.now()));
  });
  const settled = work.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, timedOut]).finally(() => clearTimeout(timer));
}
