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
import { StoppableRetry } from '../stoppable-retry.js';
import type { RateGate } from './rate-gate.js';

/** First delay before writing a failed hold again; doubled each time up to {@link MAX_HOLD_RETRY_MS}. */
export const FIRST_HOLD_RETRY_MS = 50;

/** Longest delay between two tries of a hold's write. */
export const MAX_HOLD_RETRY_MS = 1_000;

/** Most tries of one hold's write (the first included). */
export const MAX_HOLD_TRIES = 8;

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
  /** A hold's write is not tried again after `stop()` resolved. */
  private readonly retries = new StoppableRetry();

  constructor(private readonly deps: LimitRecordsDeps) {}

  /** The engine starts (again): a failed hold write may be tried again. */
  start(): void {
    this.retries.start();
  }

  /** The engine stopped: no hold write is tried again (no write after `stop()` resolved). */
  stop(): void {
    this.retries.stop();
  }

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
   * Held here at once; resolves once stored, or once the first write failed (reported, never
   * thrown). A failed write is tried again in the background, with growing delays, until it lands,
   * the hold is over, or {@link MAX_HOLD_TRIES} tries were made: one dropped write must not leave
   * the other instances starting jobs during the hold. (Writing it again is safe: a hold only ever
   * moves later.)
   */
  hold(job: Job, until: Date): Promise<void> {
    const { limits, pauses, pauseGate, clock, timeout } = this.deps;
    const rate = this.deps.workerLimits().get(job.name)?.rateLimit;
    let write: () => Promise<void>;
    if (rate) {
      const group = rate.perGroup ? (job.group ?? null) : null;
      this.deps.rates()?.hold(job.name, group, until.getTime());
      write = () => limits.block(job.name, group, until, clock.now());
    } else {
      pauseGate.hold(job.name, until.getTime());
      write = () => pauses.hold(job.name, until);
    }
    // Resolves once stored, or once the first try failed (reported once; later tries go on).
    return new Promise((resolve) => {
      this.retries
        .run(() => withTimeout(write(), timeout, 'recording a rate limit'), {
          until: until.getTime(),
          now: () => clock.now().getTime(),
          firstDelay: FIRST_HOLD_RETRY_MS,
          maxDelay: MAX_HOLD_RETRY_MS,
          maxTries: MAX_HOLD_TRIES,
          onFailure: (error, tries) => {
            if (tries > 1) return;
            this.deps.onError(error, 'recording a rate limit');
            resolve();
          },
        })
        .then(resolve, () => resolve());
    });
  }
}
