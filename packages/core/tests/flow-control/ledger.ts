/**
 * The handlers' own ledger of a flow-control test: how many run at once (per key: a name, or a
 * name and group) and when each started, as the handlers themselves saw it. The limits are
 * checked against this, never against the database.
 */

/** Running handlers and starts, per key. */
export class Ledger {
  /** @param now - the time a start is recorded at (a test clock's, or `Date.now()`) */
  constructor(private readonly now: () => number = Date.now) {}

  private readonly running = new Map<string, number>();
  private readonly peaks = new Map<string, number>();
  /** Every start, in order: its key and the time. */
  readonly starts: { key: string; at: number }[] = [];
  private readonly waiters: { test: () => boolean; resolve: () => void }[] = [];

  /** A handler of `key` started. */
  enter(key: string): void {
    const now = (this.running.get(key) ?? 0) + 1;
    this.running.set(key, now);
    this.peaks.set(key, Math.max(now, this.peaks.get(key) ?? 0));
    this.starts.push({ key, at: this.now() });
    this.check();
  }

  /** A handler of `key` is about to return. */
  leave(key: string): void {
    this.running.set(key, (this.running.get(key) ?? 0) - 1);
    this.check();
  }

  /** Handlers of `key` running now. */
  runningOf(key: string): number {
    return this.running.get(key) ?? 0;
  }

  /** Most handlers of `key` that ran at once. */
  peakOf(key: string): number {
    return this.peaks.get(key) ?? 0;
  }

  /** Starts of `key` so far. */
  startsOf(key: string): number {
    return this.starts.filter((start) => start.key === key).length;
  }

  /** Most starts of `key` (every key when omitted) within any `windowMs`. */
  worstWindow(windowMs: number, key?: string): number {
    const times = this.starts.filter((start) => key === undefined || start.key === key).map((start) => start.at);
    let worst = 0;
    for (let i = 0, j = 0; i < times.length; i += 1) {
      while ((times[i] as number) - (times[j] as number) >= windowMs) j += 1;
      worst = Math.max(worst, i - j + 1);
    }
    return worst;
  }

  /** Resolves once `test` holds (checked at every start and end), or rejects after `timeoutMs`. */
  until(test: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
        timeoutMs,
      );
      this.waiters.push({
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private check(): void {
    for (const waiter of [...this.waiters]) {
      if (!waiter.test()) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}
