/**
 * Renews the locks of this instance's running jobs: one write per interval for all of them, so a
 * healthy job is never taken for stale however long it runs.
 */
import type { ObjectId } from 'mongodb';

/** What the heartbeat needs. */
export interface HeartbeatDeps {
  readonly interval: number;
  readonly activeIds: () => ObjectId[];
  /** Renews the locks of `ids`. */
  readonly renew: (ids: ObjectId[]) => Promise<unknown>;
  /** Called with `null` after a renewal, or with the error of a failed one. */
  readonly onResult: (error: unknown) => void;
}

/** A timer that renews locks while jobs run. */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();

  constructor(private readonly deps: HeartbeatDeps) {}

  /** Starts renewing every `interval` ms. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.beating = this.beat();
    }, this.deps.interval);
    this.timer.unref();
  }

  /** Renews once now (skipped when nothing runs). */
  async beat(): Promise<void> {
    const ids = this.deps.activeIds();
    if (ids.length === 0) return;
    try {
      await this.deps.renew(ids);
      this.deps.onResult(null);
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
