/**
 * Runs claimed jobs, one {@link ActiveRun} per claim: calls the handler with `{ signal, progress }`,
 * decides the outcome, has it written (batched and fenced) and emits the event.
 *
 * A run ends in one of four ways: the handler settles (success or failure); its `timeout` passes
 * (a failure, written at once); `cancelJob` is seen by the heartbeat (written `cancelled` at once);
 * or the lock is lost (nothing written: another instance holds the job). In the last three the
 * signal aborts, and a handler that ignores it keeps its slot until it settles; its result is
 * discarded. (A lock that could not be renewed in time is not known lost: that run keeps its lock,
 * and a success it returns all the same is written; see {@link JobRunner.abortUnrenewedSince}.) A job whose outcome write finds the job changed (cancelled or rescheduled meanwhile)
 * is decided again from the stored job.
 */
import { engineConnectionError } from '../database-errors.js';
import { JobCancelledError } from '../errors/job-cancelled-error.js';
import { JobLockLostError } from '../errors/job-lock-lost-error.js';
import { JobTimeoutError } from '../errors/job-timeout-error.js';
import type { RateLimitError } from '../errors/rate-limit-error.js';
import type { ShutdownTimeoutError } from '../errors/shutdown-timeout-error.js';
import { UnrecoverableError } from '../errors/unrecoverable-error.js';
import type { MonqueEventEmitter } from '../events.js';
import type { Job } from '../job.js';
import type { DependencyResult, JobContext } from '../job-options.js';
import type { Clock, Logger } from '../monque-options.js';
import type { JobDocument } from '../store/job-document.js';
import type { RunningJob } from '../store/limited-claim-store.js';
import type { HeldRun, RenewalReport } from '../store/lock-store.js';
import type { Transition } from '../store/outcome-store.js';
import { unstorableReason } from '../validation/data.js';
import { ActiveRun } from './active-run.js';
import type { FollowUps } from './follow-ups.js';
import { isRateLimited, isUnrecoverable, MAX_RESULT_BYTES } from './handler-errors.js';
import type { Instrumentation, RunEnding } from './instrumentation.js';
import {
  type DecisionSettings,
  decideCancelled,
  decideFailure,
  decideRateLimited,
  decideRecovery,
  decideSuccess,
  failReasonOf,
  jobAfter,
  policyFor,
  toError,
} from './outcome.js';
import { OutcomeAbandonedError, type OutcomeWriter } from './outcome-writer.js';
import { ProgressReporter, type ProgressValue } from './progress-reporter.js';
import type { WorkerRegistry } from './worker-registry.js';

/** How a run ended, as far as the handler is concerned. */
type Ending =
  | { kind: 'success'; value: unknown }
  | { kind: 'failure'; error: Error; unrecoverable: boolean }
  | { kind: 'rate-limited'; error: RateLimitError }
  | { kind: 'cancelled'; reason: string | undefined }
  // The handler failed because its signal was aborted at its lock deadline: a stall.
  | { kind: 'stalled' };

/**
 * Whether a run aborted at its lock deadline failed because of that abort (it threw the signal's
 * reason, a `JobLockLostError`, or an `AbortError` as `fetch` and others do), not on its own.
 */
function causedByDeadline(run: ActiveRun, ending: Ending): boolean {
  if (!run.abortedAtDeadline || ending.kind !== 'failure') return false;
  const { error } = ending;
  return error === run.controller.signal.reason || error instanceof JobLockLostError || error.name === 'AbortError';
}

/** What the runner needs. */
export interface RunnerDeps {
  readonly registry: WorkerRegistry;
  readonly writer: OutcomeWriter;
  readonly clock: Clock;
  readonly events: MonqueEventEmitter;
  readonly settings: DecisionSettings;
  readonly logger: Logger;
  readonly instrumentation: Instrumentation;
  /** Stores a run's progress, fenced on its claim; `false` when the run no longer holds the job. */
  readonly setProgress: (run: HeldRun, value: ProgressValue) => Promise<boolean>;
  /** Gives claimed jobs back unstarted (no failure charged), trying until `until` (epoch ms) when given. */
  readonly release: (runs: readonly HeldRun[], until?: number) => Promise<void>;
  /** A handler of `name` settled: its slot is free. */
  readonly onSlotFreed: (name: string) => void;
  /** The outcome of a run of `name` is written: its flow-control slots are free in the database. */
  readonly onRunReleased?: (name: string) => void;
  /** A job of `name` is pending again, due at `at` (a retry, or a recurring job's next time). */
  readonly onJobPending: (name: string, at: Date) => void;
  /** A run's outcome is stored (for throughput counts). */
  readonly onRunEnded: (name: string, ending: RunEnding, at: Date) => void;
  /**
   * A handler threw a `RateLimitError`: `job`'s name (or group) starts nothing before `until`.
   * Resolves once the hold is stored (or could not be: that is reported, never thrown).
   */
  readonly onRateLimited?: (job: Job, until: Date) => Promise<void>;
  /** What outcomes owe to other jobs (dependents, dead letters): see `follow-ups.ts`. */
  readonly followUps?: Pick<FollowUps, 'prepare' | 'written'>;
  /** The handler's `dependencies()`: the job's dependencies and their results. @defaultValue none */
  readonly dependencies?: (job: JobDocument) => Promise<DependencyResult[]>;
}

/** Runs jobs and remembers which are active in this instance. */
export class JobRunner {
  private readonly runs = new Map<string, ActiveRun>();
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: RunnerDeps) {}

  /** Starts `doc`'s handler (the job must have been claimed by this instance). */
  run(doc: JobDocument): void {
    const worker = this.deps.registry.get(doc.name);
    if (!worker || this.runs.has(doc._id.toHexString())) {
      void this.releaseUnstarted([doc]);
      return;
    }
    this.deps.registry.take(worker);
    const run = new ActiveRun(doc, worker, this.deps.clock.now());
    this.runs.set(run.key, run);
    this.deps.events.emit('job:start', run.job);
    const timeout = doc.timeout ?? worker.policy.timeout;
    if (timeout !== undefined) {
      run.timeoutTimer = setTimeout(() => this.interrupt(run, new JobTimeoutError(timeout)), timeout);
    }
    const reporter = new ProgressReporter({
      write: (value) => this.deps.setProgress(run, value),
      onStored: (progress) => this.deps.events.emit('job:progress', { job: { ...run.job, progress }, progress }),
      onError: (error) => this.deps.events.emit('job:error', { error: toError(error), job: run.job }),
      active: () => run.state === 'running',
    });
    let dependencies: Promise<DependencyResult[]> | undefined;
    const context: JobContext = {
      signal: run.controller.signal,
      progress: (value) => reporter.report(value),
      dependencies: () => {
        dependencies ??= this.deps.dependencies?.(doc) ?? Promise.resolve([]);
        return dependencies;
      },
    };
    void this.invoke(run, context).then((ending) => this.settled(run, ending));
  }

  private async invoke(run: ActiveRun, context: JobContext): Promise<Ending> {
    try {
      const value = await this.deps.instrumentation.run(run.doc, async () => run.worker.handler(run.job, context));
      return { kind: 'success', value };
    } catch (thrown) {
      const error = toError(thrown);
      if (isRateLimited(error)) return { kind: 'rate-limited', error };
      return { kind: 'failure', error, unrecoverable: isUnrecoverable(error) };
    }
  }

  private settled(run: ActiveRun, ending: Ending): void {
    run.handlerSettled = true;
    if (run.timeoutTimer) clearTimeout(run.timeoutTimer);
    this.deps.registry.free(run.worker);
    this.deps.onSlotFreed(run.doc.name);
    if (run.state === 'running') void this.conclude(run, causedByDeadline(run, ending) ? { kind: 'stalled' } : ending);
    else this.forgetIfFinished(run);
  }

  /**
   * Stops a run before its handler settled: aborts its signal with `reason`; a timeout is written as
   * a failure and a cancellation as `cancelled` at once; a lost lock writes nothing.
   */
  interrupt(run: ActiveRun, reason: Error): void {
    const state = run.state;
    run.abort(reason);
    if (state !== 'running') return;
    if (reason instanceof JobLockLostError) {
      run.state = 'detached';
      this.deps.logger.warn('lost the lock of a running job; its signal was aborted', { jobId: run.key });
      this.deps.events.emit('job:error', { error: reason, job: run.job });
      this.forgetIfFinished(run);
      return;
    }
    const ending: Ending =
      reason instanceof JobCancelledError
        ? { kind: 'cancelled', reason: reason.reason }
        : { kind: 'failure', error: reason, unrecoverable: false };
    void this.conclude(run, ending);
  }

  /** Decides and writes the outcome; decides again when the write finds the job changed. */
  private async conclude(run: ActiveRun, first: Ending): Promise<void> {
    run.state = 'writing';
    let ending = first;
    if (ending.kind === 'rate-limited') {
      // Held back here at once, and stored before the outcome makes the job due again (at the same
      // time): once the job is pending, every instance can know of the hold.
      await this.deps.onRateLimited?.(run.job, new Date(this.deps.clock.now().getTime() + ending.error.retryAfterMs));
    }
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const now = this.deps.clock.now();
      const { transition, report } = this.decide(run, ending, now);
      this.deps.followUps?.prepare(run.doc, transition, run.worker.policy.deadLetter);
      const result = await this.deps.writer.write({ job: run.doc, transition, fence: { claimToken: run.token } });
      if (result.kind === 'written') {
        this.deps.onRunReleased?.(run.doc.name);
        this.deps.followUps?.written(run.doc, transition);
        report();
        break;
      }
      if (result.kind === 'lost') {
        this.deps.events.emit('job:error', { error: new JobLockLostError(run.key), job: run.job });
        break;
      }
      if (result.kind === 'changed') {
        run.doc = result.current;
        if (result.current.cancelRequestedAt) ending = { kind: 'cancelled', reason: result.current.cancelReason };
        continue;
      }
      const abandoned = result.error instanceof OutcomeAbandonedError;
      const error = abandoned ? engineConnectionError('writing the outcome', result.error) : toError(result.error);
      this.deps.events.emit('job:error', { error, job: run.job });
      if (abandoned || ending.kind === 'failure') break;
      // A success or cancellation the database refuses: the job fails for good, saying why. A result
      // is never dropped silently (the job is not reported completed without it).
      const what =
        ending.kind === 'success' && ending.value !== undefined ? "the handler's result" : "the run's outcome";
      const message = `${what} could not be stored: ${toError(result.error).message}`;
      ending = { kind: 'failure', error: new UnrecoverableError(message), unrecoverable: true };
    }
    run.state = 'detached';
    this.forgetIfFinished(run);
  }

  private decide(run: ActiveRun, ending: Ending, now: Date): { transition: Transition; report: () => void } {
    const { events, settings } = this.deps;
    const job = run.job;
    const duration = now.getTime() - run.startedAt.getTime();
    if (ending.kind === 'success') {
      const problem = unstorableReason(ending.value, 'result', MAX_RESULT_BYTES);
      if (problem)
        return this.decide(
          run,
          { kind: 'failure', error: new UnrecoverableError(`the handler's result ${problem}`), unrecoverable: true },
          now,
        );
      const transition = decideSuccess(job, ending.value, now, settings);
      return {
        transition,
        report: () => {
          this.ended(job, 'completed', transition, duration);
          events.emit('job:complete', { job: jobAfter(job, transition), duration, result: ending.value });
        },
      };
    }
    if (ending.kind === 'rate-limited') {
      const { retryAfterMs } = ending.error;
      const transition = decideRateLimited(now, retryAfterMs);
      return {
        transition,
        report: () => {
          this.deps.onJobPending(job.name, transition.nextRunAt as Date);
          events.emit('job:rate-limited', {
            job: jobAfter(job, transition),
            error: ending.error,
            retryAfterMs,
            until: transition.nextRunAt as Date,
          });
        },
      };
    }
    if (ending.kind === 'stalled') {
      const reason = `lock not renewed in time by ${job.owner ?? 'its instance'}: its handler was stopped`;
      const policy = policyFor(job, run.worker.policy, settings);
      const { transition, willRetry, stalled } = decideRecovery(run.doc, reason, now, policy, settings);
      const error = run.controller.signal.reason as Error;
      return {
        transition,
        report: () => {
          if (stalled) this.deps.onJobPending(job.name, transition.nextRunAt as Date);
          else this.ended(job, 'failed', transition, duration);
          if (!stalled) events.emit('job:fail', { job: jobAfter(job, transition), error, willRetry });
        },
      };
    }
    if (ending.kind === 'cancelled') {
      const transition = decideCancelled(now, settings);
      return {
        transition,
        report: () => {
          this.ended(job, 'cancelled', transition, duration);
          events.emit('job:cancelled', { job: jobAfter(job, transition) });
        },
      };
    }
    const policy = policyFor(job, run.worker.policy, settings);
    const { transition, willRetry } = decideFailure(job, failReasonOf(ending.error), now, policy, settings, {
      unrecoverable: ending.unrecoverable,
      attempt: { stack: ending.error.stack, durationMs: duration },
    });
    return {
      transition,
      report: () => {
        this.ended(job, 'failed', transition, duration);
        events.emit('job:fail', { job: jobAfter(job, transition), error: ending.error, willRetry });
      },
    };
  }

  private ended(job: Job, ending: RunEnding, transition: Transition, duration: number): void {
    this.deps.instrumentation.runEnded(job.name, ending, duration);
    if (ending !== 'cancelled') this.deps.onRunEnded(job.name, ending, transition.at);
    if (transition.status === 'pending' && transition.nextRunAt) this.deps.onJobPending(job.name, transition.nextRunAt);
  }

  /** Applies what the heartbeat learnt: lost locks and requested cancellations. */
  renewed(report: RenewalReport): void {
    for (const id of report.lost) {
      const run = this.runs.get(id.toHexString());
      if (run?.holdsLock) this.interrupt(run, new JobLockLostError(run.key));
    }
    for (const { id, reason } of report.cancelled) {
      const run = this.runs.get(id.toHexString());
      if (run) this.interrupt(run, new JobCancelledError(reason));
    }
  }

  /**
   * The locks of `runs` were renewed by a write sent at `at` (runs it found lost are aborted by
   * {@link JobRunner.renewed}).
   */
  lockRenewed(runs: readonly HeldRun[], at: Date): void {
    for (const held of runs) {
      const run = this.runs.get(held.id.toHexString());
      if (run?.token === held.token) run.lockWrittenAt = at.getTime();
    }
  }

  /**
   * Aborts, with `JobLockLostError`, the signals of the handlers whose lock was last written before
   * `before` (epoch ms): this instance can no longer be sure it holds them (see `lock-deadline.ts`).
   * Each such run goes on as before (its lock renewed again once the database answers, its timeout
   * and a cancellation still apply), and its ending is written on its claim when its handler
   * settles (lost if another instance took the job over meanwhile): a success or a failure of its
   * own as usual; a failure caused by the abort as a stall (see `decideRecovery`).
   */
  abortUnrenewedSince(before: number, overdueMs: number): void {
    for (const run of this.runs.values()) {
      if (run.state !== 'running' || run.abortedAtDeadline || run.lockWrittenAt >= before) continue;
      const detail = `its lock could not be renewed for ${overdueMs} ms, and another instance may take it over`;
      const error = new JobLockLostError(run.key, detail);
      run.abortedAtDeadline = true;
      // The signal only: the run's timeout still applies.
      run.controller.abort(error);
      this.deps.logger.warn('could not renew the lock of a running job in time; its signal was aborted', {
        jobId: run.key,
      });
      this.deps.events.emit('job:error', { error, job: run.job });
    }
  }

  /** Gives claimed jobs back unstarted; a failure is reported, the jobs are recovered later. */
  async releaseUnstarted(docs: readonly JobDocument[]): Promise<void> {
    if (docs.length === 0) return;
    try {
      await this.deps.release(docs.map((doc) => ({ id: doc._id, token: doc.claimToken as string })));
    } catch (error) {
      this.deps.events.emit('job:error', { error: toError(error) });
    }
  }

  /**
   * `stop()`'s deadline passed: aborts the signals of runs still going with `reason` and gives their
   * jobs back (`pending`, no failure charged), so another instance runs them without waiting for
   * their locks to expire. The give-back is tried again until `until` (epoch ms) when given.
   */
  async shutdown(reason: ShutdownTimeoutError, until?: number): Promise<void> {
    const going = [...this.runs.values()].filter((run) => run.state === 'running');
    for (const run of going) {
      run.abort(reason);
      run.state = 'detached';
    }
    if (going.length > 0) {
      await this.deps
        .release(going, until)
        .catch((error: unknown) => this.deps.events.emit('job:error', { error: toError(error) }));
    }
    for (const run of going) this.forgetIfFinished(run);
  }

  private forgetIfFinished(run: ActiveRun): void {
    if (!run.finished || this.runs.get(run.key) !== run) return;
    this.runs.delete(run.key);
    if (this.runs.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** The runs whose locks the heartbeat must renew. */
  heldRuns(): ActiveRun[] {
    return [...this.runs.values()].filter((run) => run.holdsLock);
  }

  /** Ids of every job with a run here (claims must skip them). */
  busyIds() {
    return [...this.runs.values()].map((run) => run.id);
  }

  /** Whether this instance runs job `key` (hex id) under `token` (never when it has no run of it). */
  holds(key: string, token: string | null | undefined): boolean {
    const run = this.runs.get(key);
    return run !== undefined && run.token === token;
  }

  /** Runs of `name` whose slot in the database is free while their handler still runs (see {@link ActiveRun.abandoned}). */
  abandoned(name: string): RunningJob[] {
    const runs = [...this.runs.values()].filter((run) => run.doc.name === name && run.abandoned);
    return runs.map((run) => ({ group: run.doc.group }));
  }

  /** Jobs not finished here: handlers still running first, then outcomes not yet written. */
  unfinishedJobs(): Job[] {
    const runs = [...this.runs.values()];
    return [...runs.filter((run) => !run.handlerSettled), ...runs.filter((run) => run.handlerSettled)].map(
      (run) => run.job,
    );
  }

  /** Number of runs not forgotten yet. */
  get activeCount(): number {
    return this.runs.size;
  }

  /** Resolves when every run has settled and its outcome is done. */
  idle(): Promise<void> {
    if (this.runs.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
