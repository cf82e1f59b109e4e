/**
 * Renews the locks of this instance's runs (one write per interval for all of them), and passes on
 * what the renewal learnt: runs whose job another instance took over (their signals abort with
 * `JobLockLostError`) and runs whose cancellation was requested (`JobCancelledError`). Runs whose
 * outcome is still being written keep their locks renewed too, so a write retried through an
 * outage is not overtaken by a recovery.
 */
import type { HeldRun, RenewalReport } from '../store/lock-store.js';

/** What the heartbeat needs. */
export interface HeartbeatDeps {
  readonly interval: number;
  readonly heldRuns: () => HeldRun[];
  /** Renews the locks of `runs`. */
  readonly renew: (runs: HeldRun[]) => Promise<RenewalReport>;
  /** What the renewal learnt. */
  readonly onReport: (report: RenewalReport) => void;
  /** Called with `null` after a renewal, or with the error of a failed one. */
  readonly onResult: (error: unknown) => void;
}

/** A timer that renews locks while jobs run. */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;

  constructor(private readonly deps: HeartbeatDeps) {}

  /** Starts renewing every `interval` ms. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // Beats never overlap: a renewal still waiting for a slow server skips this turn.
      this.beating ??= this.beat().finally(() => {
        this.beating = undefined;
      });
    }, this.deps.interval);
    this.timer.unref();
  }

  /** Renews once now (skipped when nothing runs). */
  async beat(): Promise<void> {
    const runs = this.deps.heldRuns();
    if (runs.length === 0) return;
    try {
      const report = await this.deps.renew(runs);
      this.deps.onResult(null);
      if (report.lost.length > 0 || report.cancelled.length > 0) this.deps.onReport(report);
    } catch (error) {
      this.deps.onResult(error);
    }
  }

  /** Stops the timer; resolves after a renewal in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
  }
}
