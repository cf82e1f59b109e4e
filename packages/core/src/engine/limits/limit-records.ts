/**
 * What flow control writes outside the claims: the limits this instance's workers run with
 * (recorded at `start()`, for `getStats()` and the dashboard), and the holds of a `RateLimitError`.
 *
 * A hold takes effect in this instance at once, then reaches the others: with a `rateLimit` on the
 * worker through the rate record (the name's, or the group's with `perGroup`), which every claim
 * of the name reads, so it is exact; without, through the pause state, which every instance reads
 * again within one `pollInterval`.
 */
import { withTimeout } from '../../database-errors.js';
import type { FlowControlOptions } from '../../flow-control-options.js';
import type { Job } from '../../job.js';
import type { Clock } from '../../monque-options.js';
import type { LimitStore } from '../../store/limit-store.js';
import type { PauseStore } from '../../store/pause-store.js';
import type { PauseGate } from '../pause-gate.js';
import type { RateGate } from './rate-gate.js';

/** What the records need. */
export interface LimitRecordsDeps {
  readonly limits: LimitStore;
  readonly pauses: PauseStore;
  readonly pauseGate: PauseGate;
  /** This instance's rate windows (the flow claimer's). */
  readonly rates: () => RateGate | undefined;
  /** The flow-control options of every worker that has some. */
  readonly workerLimits: () => Map<string, FlowControlOptions>;
  readonly instanceId: string;
  readonly clock: Clock;
  readonly timeout: number;
  /** A write failed (reported as the engine's database errors are). */
  readonly onError: (error: unknown, what: string) => void;
}

/** Writes the flow-control records of one instance. */
export class LimitRecords {
  constructor(private readonly deps: LimitRecordsDeps) {}

  /** Records the limits of this instance's workers (one command; none when no worker has limits). */
  async publish(): Promise<void> {
    const { limits, workerLimits, instanceId, clock } = this.deps;
    await limits.publish(workerLimits(), instanceId, clock.now());
  }

  /** {@link LimitRecords.publish}, reporting a failure instead of throwing (a worker added while running). */
  republish(): void {
    this.publish().catch((error: unknown) => this.deps.onError(error, 'recording flow-control limits'));
  }

  /**
   * A handler of `job` threw a `RateLimitError`: its name (group) starts nothing before `until`.
   * Held here at once; resolves once stored (a failure is reported, never thrown).
   */
  hold(job: Job, until: Date): Promise<void> {
    const { limits, pauses, pauseGate, clock, timeout } = this.deps;
    const rate = this.deps.workerLimits().get(job.name)?.rateLimit;
    let stored: Promise<void>;
    if (rate) {
      const group = rate.perGroup ? (job.group ?? null) : null;
      this.deps.rates()?.hold(job.name, group, until.getTime());
      stored = limits.block(job.name, group, until, clock.now());
    } else {
      pauseGate.hold(job.name, until.getTime());
      stored = pauses.hold(job.name, until);
    }
    return withTimeout(stored, timeout, 'recording a rate limit').catch((error: unknown) =>
      this.deps.onError(error, 'recording a rate limit'),
    );
  }
}
