/**
 * Runs claimed jobs: calls the handler, decides the outcome, has it written (batched and fenced),
 * then emits the event. Frees the worker's slot as soon as the handler returns.
 */
import { JobLockLostError } from '../errors/job-lock-lost-error.js';
import type { MonqueEventEmitter } from '../events.js';
import type { JobDocument, JobOutcome, Transition } from '../store/job-store.js';
import { toPublicJob } from '../store/job-store.js';
import type { Clock, Job, JobContext } from '../types.js';
import { decideFailure, decideSuccess, failReasonOf, type RetryPolicy, toError } from './outcome.js';
import type { OutcomeWriter } from './outcome-writer.js';
import type { WorkerRegistry } from './worker-registry.js';

interface ActiveJob {
  readonly job: Job;
  /** `true` while the handler runs; `false` while its outcome is being written. */
  handlerRunning: boolean;
  readonly done: Promise<void>;
}

/** What the runner needs. */
export interface RunnerDeps {
  readonly registry: WorkerRegistry;
  readonly writer: OutcomeWriter;
  readonly clock: Clock;
  readonly events: MonqueEventEmitter;
  readonly policy: RetryPolicy;
  /** Called whenever a handler of job name `name` returns and its slot is free again. */
  readonly onSlotFreed: (name: string) => void;
  /** Reads a job as it is now (a recurring job's cron may have been changed while it ran). */
  readonly reload: (job: JobDocument) => Promise<JobDocument | null>;
}

/** The job as it is after `transition` (for event payloads). */
function applied(job: Job, transition: Transition, now: Date): Job {
  const next: Job = { ...job, status: transition.status, lockedAt: null, updatedAt: now };
  delete next.owner;
  if (transition.nextRunAt) next.nextRunAt = transition.nextRunAt;
  if (transition.failCount !== undefined) next.failCount = transition.failCount;
  if (typeof transition.failReason === 'string') next.failReason = transition.failReason;
  if (transition.failReason === null) delete next.failReason;
  if (transition.completedAt) next.completedAt = transition.completedAt;
  return next;
}

/** Runs jobs and remembers which are active in this instance. */
export class JobRunner {
  private readonly active = new Map<string, ActiveJob>();

  constructor(private readonly deps: RunnerDeps) {}

  /** Starts `doc`'s handler (the job must have been claimed by this instance). */
  run(doc: JobDocument): void {
    const worker = this.deps.registry.get(doc.name);
    const job = toPublicJob(doc);
    const key = doc._id.toHexString();
    if (!worker) return;
    worker.running += 1;
    const entry: { handlerRunning: boolean } = { handlerRunning: true };
    const done = this.execute(doc, job, worker.handler, () => {
      entry.handlerRunning = false;
      worker.running -= 1;
      this.deps.onSlotFreed(doc.name);
    }).finally(() => this.active.delete(key));
    this.active.set(key, Object.assign(entry, { job, done }));
  }

  private async execute(
    doc: JobDocument,
    job: Job,
    handler: (job: Job, context: JobContext) => unknown,
    handlerReturned: () => void,
  ): Promise<void> {
    const { clock, events, writer, policy } = this.deps;
    events.emit('job:start', job);
    const startedAt = clock.now();
    let error: Error | undefined;
    try {
      await handler(job, { signal: new AbortController().signal, progress: async () => {} });
    } catch (thrown) {
      error = toError(thrown);
    }
    const finishedAt = clock.now();
    handlerReturned();
    const fence = { claimToken: doc.claimToken as NonNullable<JobDocument['claimToken']> };
    try {
      const schedule = await this.currentSchedule(doc, job);
      if (!error) {
        const transition = decideSuccess(schedule, finishedAt);
        const outcome: JobOutcome = { job: doc, transition, fence };
        if ((await writer.write(outcome)) === 'lost') {
          events.emit('job:error', { error: new JobLockLostError(doc._id.toHexString(), 'completion'), job });
          return;
        }
        events.emit('job:complete', {
          job: applied(job, transition, finishedAt),
          duration: finishedAt.getTime() - startedAt.getTime(),
          result: undefined,
        });
        return;
      }
      const { transition, willRetry } = decideFailure(schedule, failReasonOf(error), finishedAt, policy);
      if ((await writer.write({ job: doc, transition, fence })) === 'lost') {
        events.emit('job:error', { error: new JobLockLostError(doc._id.toHexString(), 'failure'), job });
        return;
      }
      events.emit('job:fail', { job: applied(job, transition, finishedAt), error, willRetry });
    } catch (writeError) {
      events.emit('job:error', { error: toError(writeError), job });
    }
  }

  /**
   * For a recurring job, the job with the schedule stored now: `schedule()` may have changed the
   * cron or time zone while the job ran, and the next run must follow the new ones; `unschedule()`
   * may have removed it, and then this run is the last (the job completes like a one-off job).
   * One-off jobs, a job no longer held, and a failed read use the job as claimed.
   */
  private async currentSchedule(doc: JobDocument, job: Job): Promise<Job> {
    if (!doc.repeatInterval) return job;
    const current = await this.deps.reload(doc).catch(() => null);
    if (!current || current.claimToken !== doc.claimToken) return job;
    const { repeatInterval: _old, timezone: _oldZone, ...oneOff } = job;
    if (!current.repeatInterval) return oneOff;
    const updated: Job = { ...oneOff, repeatInterval: current.repeatInterval };
    if (current.timezone !== undefined) updated.timezone = current.timezone;
    return updated;
  }

  /** Ids of the jobs this instance holds (handler running or outcome not yet written). */
  activeIds() {
    return [...this.active.values()].map((entry) => entry.job._id);
  }

  /** Number of jobs this instance holds. */
  get activeCount(): number {
    return this.active.size;
  }

  /** Jobs not finished yet: handler still running, or its result not yet stored (running first). */
  unfinishedJobs(): Job[] {
    const entries = [...this.active.values()];
    return [
      ...entries.filter((entry) => entry.handlerRunning),
      ...entries.filter((entry) => !entry.handlerRunning),
    ].map((entry) => entry.job);
  }

  /** Resolves when every active job is finished and written. */
  async settled(): Promise<void> {
    while (this.active.size > 0) await Promise.all([...this.active.values()].map((entry) => entry.done));
  }
}
