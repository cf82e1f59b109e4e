/**
 * Deletes expired jobs and counters every `interval` ms (`retention.sweepInterval`, 1 minute by
 * default), at most 1000 of each per sweep, so a backlog is worked off over several sweeps without
 * ever holding the database long. Sweeps never overlap; the timer does not keep the process alive.
 */
import type { MonqueEventEmitter } from '../events.js';
import type { Clock, Logger } from '../monque-options.js';
import { MAX_DELETIONS_PER_SWEEP, type RetentionStore, type SweepResult } from '../store/retention-store.js';

/** What the sweeper needs. */
export interface RetentionSweeperDeps {
  readonly store: RetentionStore;
  readonly clock: Clock;
  /** ms between sweeps. */
  readonly interval: number;
  /** Failed sweeps are reported as `job:error`. */
  readonly events: MonqueEventEmitter;
  readonly logger: Logger;
  /**
   * Most deletions per collection and sweep.
   * @defaultValue 1000
   */
  readonly maxPerSweep?: number;
}

/** A timer that deletes what retention says is due for deletion. */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<SweepResult | undefined> | undefined;

  constructor(private readonly deps: RetentionSweeperDeps) {}

  /** Sweeps once now; resolves with what was deleted. A database error rejects. */
  async sweepOnce(): Promise<SweepResult> {
    const result = await this.deps.store.deleteExpired(
      this.deps.clock.now(),
      this.deps.maxPerSweep ?? MAX_DELETIONS_PER_SWEEP,
    );
    if (result.jobs > 0 || result.metrics > 0 || (result.throttleWindows ?? 0) > 0) {
      this.deps.logger.debug('retention: deleted expired documents', { ...result });
    }
    return result;
  }

  /** Sweeps every `interval` ms until stopped; a failed sweep is reported and the next one runs as planned. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweepOnce()
        .catch((error: unknown) => {
          const wrapped = error instanceof Error ? error : new Error(String(error));
          this.deps.logger.error('retention: sweep failed', { error: wrapped.message });
          this.deps.events.emit('job:error', { error: wrapped });
          return undefined;
        })
        .finally(() => {
          this.sweeping = undefined;
        });
    }, this.deps.interval);
    this.timer.unref();
  }

  /** Stops the timer; resolves after a sweep in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }
}
