/**
 * Puts back jobs whose owner stopped renewing their lock (crashed, killed, cut off). A recovery
 * counts as a failed attempt, so a job that kills its worker every time ends `failed`; otherwise
 * the job is due again at once. Each write is fenced on the lock that was seen, so a job whose
 * heartbeat arrives in between is left alone.
 */
import type { ObjectId } from 'mongodb';
import type { MonqueEventEmitter } from '../events.js';
import type { JobDocument, JobOutcome } from '../store/job-store.js';
import { toPublicJob } from '../store/job-store.js';
import type { Clock } from '../types.js';
import { decideFailure, type RetryPolicy } from './outcome.js';

/** What recovery needs. */
export interface StaleRecoveryDeps {
  readonly clock: Clock;
  readonly lockTimeout: number;
  readonly interval: number;
  readonly policy: RetryPolicy;
  readonly events: MonqueEventEmitter;
  readonly findStale: (now: Date) => Promise<JobDocument[]>;
  readonly apply: (outcomes: JobOutcome[], now: Date) => Promise<ObjectId[]>;
  /** Called after recoveries that made jobs due (to wake the poller). */
  readonly onRecovered: () => void;
}

/** Finds and resets stale jobs, once or periodically. */
export class StaleRecovery {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> = Promise.resolve(0);

  constructor(private readonly deps: StaleRecoveryDeps) {}

  /** Recovers what is stale now; resolves with the number of jobs reset. */
  async recoverOnce(): Promise<number> {
    const { clock, lockTimeout, policy, events } = this.deps;
    const now = clock.now();
    const stale = await this.deps.findStale(now);
    if (stale.length === 0) return 0;
    const decisions = stale.map((job) => {
      const reason = `lock expired: not renewed for ${lockTimeout} ms by ${job.owner ?? 'its owner'} (stopped or crashed while running the job)`;
      const { transition, willRetry } = decideFailure(job, reason, now, policy, now);
      const outcome: JobOutcome = {
        job,
        transition: { ...transition, clearClaim: true },
        fence: { lockedAt: job.lockedAt as Date },
      };
      return { outcome, willRetry };
    });
    const lost = new Set(
      (
        await this.deps.apply(
          decisions.map((d) => d.outcome),
          now,
        )
      ).map((id) => id.toHexString()),
    );
    let recovered = 0;
    for (const { outcome, willRetry } of decisions) {
      if (lost.has(outcome.job._id.toHexString())) continue;
      recovered += 1;
      events.emit('job:recovered', { job: toPublicJob(outcome.job), willRetry });
    }
    if (recovered > 0) this.deps.onRecovered();
    return recovered;
  }

  /** Recovers every `interval` ms until stopped; errors are reported as `job:error`. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running = this.recoverOnce().catch((error: unknown) => {
        this.deps.events.emit('job:error', { error: error instanceof Error ? error : new Error(String(error)) });
        return 0;
      });
    }, this.deps.interval);
    this.timer.unref();
  }

  /** Stops the timer; resolves after a pass in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
