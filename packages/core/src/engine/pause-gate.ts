/**
 * What is paused, as this instance last read it. The poller asks it before claiming; it is read
 * again at most once per `pollInterval`, and only when it matters: before claiming jobs it found
 * due, or while something is paused (to notice a resume). So `pause()` stops every instance within
 * one `pollInterval`, and an idle instance with nothing paused spends no command on it.
 *
 * It also knows the holds of job names (a `RateLimitError` of a worker without `rateLimit`): a
 * held name counts as paused until its time, at once in the instance that caught the error.
 */
import type { Clock } from '../monque-options.js';
import type { PausedState } from '../queries.js';
import type { GateState } from '../store/pause-store.js';

/** Caches the paused state. */
export class PauseGate {
  private state: PausedState = [];
  /** Held names (read, or held here) and until when (ms). */
  private holds = new Map<string, number>();
  private readAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly read: () => Promise<PausedState | GateState>,
    private readonly maxAge: number,
    private readonly clock: Clock,
  ) {}

  /** Whether jobs of `name` must not be claimed (as last read, or held here). */
  isPaused(name: string): boolean {
    return this.state === 'all' || this.state.includes(name) || this.heldUntil(name) !== undefined;
  }

  /** Until when `name` is held, if it is now. */
  heldUntil(name: string): number | undefined {
    const until = this.holds.get(name);
    return until !== undefined && until > this.clock.now().getTime() ? until : undefined;
  }

  /** Holds `name` here until `until` (ms), before the database says so. */
  hold(name: string, until: number): void {
    this.holds.set(name, Math.max(until, this.holds.get(name) ?? 0));
  }

  /** Whether anything is paused or held (as last read). */
  get anyPaused(): boolean {
    const now = this.clock.now().getTime();
    return this.state === 'all' || this.state.length > 0 || [...this.holds.values()].some((until) => until > now);
  }

  /** Whether the state is older than `maxAge`. */
  get stale(): boolean {
    return this.clock.now().getTime() - this.readAt >= this.maxAge;
  }

  /** Reads the state now. */
  async refresh(): Promise<void> {
    const state = await this.read();
    if (typeof state === 'string' || Array.isArray(state)) this.state = state;
    else {
      this.state = state.paused;
      const now = this.clock.now().getTime();
      for (const [name, until] of this.holds) if (until <= now) this.holds.delete(name);
      for (const [name, until] of Object.entries(state.holds)) this.hold(name, until);
    }
    this.readAt = this.clock.now().getTime();
  }

  /** Reads the state if it is stale. */
  async refreshIfStale(): Promise<void> {
    if (this.stale) await this.refresh();
  }

  /** This instance changed what is paused: read it again before the next claim. */
  invalidate(): void {
    this.readAt = Number.NEGATIVE_INFINITY;
  }
}
