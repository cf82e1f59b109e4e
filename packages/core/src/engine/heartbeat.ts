/**
 * Renews the locks of this instance's runs (one write per interval for all of them), and passes on
 * what the renewal learnt: runs whose job another instance took over (their signals abort with
 * `JobLockLostError`) and runs whose cancellation was requested (`JobCancelledError`). Runs whose
 * outcome is still being written keep their locks renewed too, so a write retried through an
 * outage is not overtaken by a recovery.
 *
 * A renewal whose reply is slow or never comes does not hold up the next beats: each beat sends its
 * own renewal on time, even while earlier ones still wait (each is bounded by the caller, see
 * `renew`), so one stuck round trip cannot let a lock expire while the database answers. At most
 * {@link MAX_BEATS_IN_FLIGHT} renewals wait at once; a beat finding that many skips its turn.
 */
import type { HeldRun, RenewalReport } from '../store/lock-store.js';

/** Most renewals waiting for their replies at once (during an outage, later beats skip their turn). */
export const MAX_BEATS_IN_FLIGHT = 4;

/** What the heartbeat needs. */
export interface HeartbeatDeps {
  readonly interval: number;
  readonly heldRuns: () => HeldRun[];
  /** Renews the locks of `runs`, bounded in time (a renewal answered after the lock expired is worth nothing). */
  readonly renew: (runs: HeldRun[]) => Promise<RenewalReport>;
  /** What the renewal learnt. */
  readonly onReport: (report: RenewalReport) => void;
  /** Called with `null` after a renewal, or with the error of a failed one. */
  readonly onResult: (error: unknown) => void;
}

/** A timer that renews locks while jobs run. */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly beating = new Set<Promise<void>>();

  constructor(private readonly deps: HeartbeatDeps) {}

  /** Starts renewing every `interval` ms. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.beating.size >= MAX_BEATS_IN_FLIGHT) return;
      const beat: Promise<void> = this.beat().finally(() => this.beating.delete(beat));
      this.beating.add(beat);
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

  /** Stops the timer; resolves after the renewals in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.beating]);
  }
}
