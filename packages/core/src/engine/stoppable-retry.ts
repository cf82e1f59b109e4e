/**
 * Tries a write again, with doubling delays, until it succeeds, its deadline passes, its tries run
 * out, or the engine stops: no try starts, and no wait between tries outlasts, `stop()` (so no
 * write is sent and no timer is left after it resolves). What was already sent stays sent.
 *
 * Used where one failed write would cost a user something the next try can still save: a job given
 * back unstarted (otherwise it waits for its lock to expire and is charged a stall), a
 * `RateLimitError` hold (otherwise other instances start jobs during it).
 */

/** How one write is tried again. */
export interface RetryPlan {
  /** No try starts at or after this time (ms, on `now`'s clock). */
  readonly until: number;
  /** The clock `until` is read on. */
  readonly now: () => number;
  /** The first delay between two tries (ms); doubled after each, up to `maxDelay`. */
  readonly firstDelay: number;
  readonly maxDelay: number;
  /** Most tries, the first included. @defaultValue no limit */
  readonly maxTries?: number;
  /** Told of each failed try (with how many were made so far). */
  readonly onFailure?: (error: unknown, tries: number) => void;
}

/** Tries again until stopped; one per engine part that writes this way. */
export class StoppableRetry {
  private stopped = false;
  /** Ends the waits between tries (at stop). */
  private readonly waits = new Set<() => void>();

  /** The engine starts (again): writes may be tried again. */
  start(): void {
    this.stopped = false;
  }

  /** The engine stopped: no try starts from now on, and waits end at once. */
  stop(): void {
    this.stopped = true;
    for (const end of [...this.waits]) end();
  }

  /**
   * Runs `attempt` until it succeeds (see the file comment).
   * @throws the last error when the engine stopped, the tries ran out, or the next try would start
   *   at or after `plan.until`
   */
  async run<T>(attempt: () => Promise<T>, plan: RetryPlan): Promise<T> {
    let delay = plan.firstDelay;
    for (let tries = 1; ; tries += 1) {
      try {
        return await attempt();
      } catch (error) {
        plan.onFailure?.(error, tries);
        const lastTry = tries >= (plan.maxTries ?? Number.POSITIVE_INFINITY);
        if (this.stopped || lastTry || plan.now() + delay >= plan.until) throw error;
        await this.wait(delay);
        if (this.stopped) throw error;
      }
      delay = Math.min(plan.maxDelay, delay * 2);
    }
  }

  /** Waits `ms`, or less when the engine stops. */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const end = (): void => {
        clearTimeout(timer);
        this.waits.delete(end);
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.waits.add(end);
    });
  }
}
