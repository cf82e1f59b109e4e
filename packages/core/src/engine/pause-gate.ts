/**
 * What is paused, as this instance last read it. The poller asks it before claiming; it is read
 * again at most once per `pollInterval`, and only when it matters: before claiming jobs it found
 * due, or while something is paused (to notice a resume). So `pause()` stops every instance within
 * one `pollInterval`, and an idle instance with nothing paused spends no command on it.
 */
import type { Clock } from '../monque-options.js';
import type { PausedState } from '../queries.js';

/** Caches the paused state. */
export class PauseGate {
  private state: PausedState = [];
  private readAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly read: () => Promise<PausedState>,
    private readonly maxAge: number,
    private readonly clock: Clock,
  ) {}

  /** Whether jobs of `name` must not be claimed (as last read). */
  isPaused(name: string): boolean {
    return this.state === 'all' || this.state.includes(name);
  }

  /** Whether anything is paused (as last read). */
  get anyPaused(): boolean {
    return this.state === 'all' || this.state.length > 0;
  }

  /** Whether the state is older than `maxAge`. */
  get stale(): boolean {
    return this.clock.now().getTime() - this.readAt >= this.maxAge;
  }

  /** Reads the state now. */
  async refresh(): Promise<void> {
    const state = await this.read();
    this.state = state;
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
