/**
 * Counts completed and failed runs per job name and minute in memory, and adds them to the
 * per-minute counters in the database every `flushInterval` ms (5 s by default) and on `stop()`:
 * one `bulkWrite` per flush, however many runs. A flush that fails keeps its counts for the next
 * one (a write whose reply was lost, or not answered within `timeout`, may then be counted twice:
 * these are charts, not ledgers).
 */
import { withTimeout } from '../database-errors.js';
import type { MonqueEventEmitter } from '../events.js';
import type { Logger } from '../monque-options.js';
import { minuteOf, type ThroughputCount, type ThroughputStore } from '../store/throughput-store.js';

/** ms between flushes unless told otherwise. */
export const DEFAULT_FLUSH_INTERVAL = 5_000;

/** What the recorder needs. */
export interface ThroughputRecorderDeps {
  readonly store: ThroughputStore;
  /** Failed flushes are reported as `job:error`. */
  readonly events: MonqueEventEmitter;
  readonly logger: Logger;
  /**
   * ms between flushes.
   * @defaultValue 5000
   */
  readonly flushInterval?: number;
  /**
   * Longest wait for one flush's write (the engine passes `operationTimeout`); a flush not answered
   * by then fails, and its counts are kept for the next one.
   * @defaultValue 30000
   */
  readonly timeout?: number;
}

/** Counts runs and writes the counts periodically. */
export class ThroughputRecorder {
  private counts = new Map<string, ThroughputCount>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ThroughputRecorderDeps) {}

  /** Counts one finished run of a job named `name` at `at` (in memory only). */
  record(name: string, outcome: 'completed' | 'failed', at: Date): void {
    const minute = minuteOf(at);
    const key = `${minute.getTime()}|${name}`;
    let count = this.counts.get(key);
    if (!count) {
      count = { name, minute, completed: 0, failed: 0 };
      this.counts.set(key, count);
    }
    count[outcome] += 1;
  }

  /** Flushes every `flushInterval` ms until stopped. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      void this.flush().catch(() => {});
    }, this.deps.flushInterval ?? DEFAULT_FLUSH_INTERVAL);
    this.timer.unref();
  }

  /**
   * Writes the counts gathered so far (after a flush in flight). A failure is reported as
   * `job:error` and logged, the counts are kept for the next flush, and the promise rejects.
   */
  flush(): Promise<void> {
    const next = this.flushing.catch(() => {}).then(() => this.writeCounts());
    this.flushing = next;
    return next;
  }

  private async writeCounts(): Promise<void> {
    if (this.counts.size === 0) return;
    const taken = this.counts;
    this.counts = new Map();
    try {
      await withTimeout(
        this.deps.store.add([...taken.values()]),
        this.deps.timeout ?? 30_000,
        'throughput: storing run counts',
      );
    } catch (error) {
      for (const [key, count] of taken) {
        const newer = this.counts.get(key);
        if (newer) {
          newer.completed += count.completed;
          newer.failed += count.failed;
        } else this.counts.set(key, count);
      }
      const wrapped = error instanceof Error ? error : new Error(String(error));
      this.deps.logger.warn('throughput: could not store run counts; retrying at the next flush', {
        error: wrapped.message,
      });
      this.deps.events.emit('job:error', { error: wrapped });
      throw wrapped;
    }
  }

  /** Stops the timer and writes what is left (one last flush; a failure is reported, not thrown). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush().catch(() => {});
  }
}
