/**
 * Batches the outcome writes of finished runs: outcomes queued within `flushDelay` ms go to the
 * database together (see `OutcomeStore.apply`), and each caller learns what became of its write.
 *
 * A batch that fails for a transient reason (the network, an election) is retried with growing
 * delays, for as long as it takes: the heartbeat keeps renewing the locks of jobs whose outcome is
 * pending, so nobody takes them over meanwhile. Each write waits at most `writeTimeout`
 * (`operationTimeout`) for its reply: a write whose reply never comes counts as failed (it goes on
 * in the background; its retry is recognised as applied if it landed), so the outcomes queued
 * behind it are written with its retry instead of waiting for it forever. Only `abandon()` (the end of `stop()`'s deadline)
 * gives up; those jobs are recovered as stale later by another instance. After `abandon()` the
 * writer is closed until `reopen()`: every outcome not known to be written (queued, or in a write
 * still in flight) is reported as abandoned at once, and nothing is written or retried afterwards,
 * so no timer is left.
 */
import { OperationTimeoutError, withTimeout } from '../database-errors.js';
import type { JobOutcome, OutcomeResult, OutcomeStore } from '../store/outcome-store.js';

/**
 * `stop()`'s deadline passed before the outcome was written: it was still queued (never written),
 * or its write was in flight (`inFlight`: it may have been applied).
 */
export class OutcomeAbandonedError extends Error {
  constructor(readonly inFlight = false) {
    super(
      inFlight
        ? 'the outcome write was still in flight when stop() gave up (shutdownTimeout): it may have been applied; if not, the job will be recovered as stale'
        : 'the outcome was not written before stop() gave up (shutdownTimeout); the job will be recovered as stale',
    );
    this.name = 'OutcomeAbandonedError';
  }
}

interface Pending {
  readonly outcome: JobOutcome;
  readonly resolve: (result: OutcomeResult) => void;
  /** A write of it went unanswered (`writeTimeout`): it may have been applied. */
  unanswered?: boolean;
}

/** Timing of the writer (tests may shorten it). */
export interface OutcomeWriterTiming {
  /** Wait before a flush, so outcomes finishing together share one write. @defaultValue 2 */
  readonly flushDelay: number;
  /** Most outcomes per write. @defaultValue 500 */
  readonly maxBatch: number;
  /** First retry delay after a failed write; doubles up to `maxRetryDelay`. @defaultValue 100 */
  readonly retryDelay: number;
  /** @defaultValue 5000 */
  readonly maxRetryDelay: number;
  /**
   * Longest wait for one write's reply (the engine passes `operationTimeout`); a write not answered
   * by then counts as failed and is retried.
   * @defaultValue 30000
   */
  readonly writeTimeout: number;
}

const DEFAULT_TIMING: OutcomeWriterTiming = {
  flushDelay: 2,
  maxBatch: 500,
  retryDelay: 100,
  maxRetryDelay: 5000,
  writeTimeout: 30_000,
};

/** Queues outcomes and writes them in batches. */
export class OutcomeWriter {
  private queue: Pending[] = [];
  /** The batch being written now. */
  private inFlight: Pending[] = [];
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private failures = 0;
  private readonly timing: OutcomeWriterTiming;
  private idleWaiters: (() => void)[] = [];

  /**
   * @param onWriteError - told of each failed write (for health and `job:error`), with the number of
   *   consecutive failures so far
   */
  constructor(
    private readonly store: OutcomeStore,
    private readonly onWriteError: (error: unknown, consecutive: number) => void,
    timing: Partial<OutcomeWriterTiming> = {},
  ) {
    this.timing = { ...DEFAULT_TIMING, ...timing };
  }

  /** Queues `outcome`; resolves once written, fenced out, or abandoned (never rejects). */
  write(outcome: JobOutcome): Promise<OutcomeResult> {
    return new Promise((resolve) => {
      if (this.closed) {
        resolve({ kind: 'error', error: new OutcomeAbandonedError() });
        return;
      }
      this.queue.push({ outcome, resolve });
      if (this.queue.length >= this.timing.maxBatch && this.failures === 0) void this.flush();
      else this.schedule(this.failures === 0 ? this.timing.flushDelay : this.retryDelay());
    });
  }

  /** Outcomes waiting to be written. */
  get pendingCount(): number {
    return this.queue.length;
  }

  private retryDelay(): number {
    return Math.min(this.timing.retryDelay * 2 ** Math.max(0, this.failures - 1), this.timing.maxRetryDelay);
  }

  private schedule(delay: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
  }

  /** Writes everything queued now; resolves when that write is done (failed ones stay queued). */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.flushing = this.flushing.then(() => this.writeBatch());
    return this.flushing;
  }

  private async writeBatch(): Promise<void> {
    const batch = this.queue.splice(0, this.timing.maxBatch);
    if (batch.length === 0) {
      this.notifyIdle();
      return;
    }
    this.inFlight = batch;
    let results: OutcomeResult[];
    try {
      results = await withTimeout(
        this.store.apply(batch.map((pending) => pending.outcome)),
        this.timing.writeTimeout,
        'writing job outcomes',
      );
    } catch (error) {
      this.inFlight = [];
      if (error instanceof OperationTimeoutError) for (const pending of batch) pending.unanswered = true;
      // Closed meanwhile: its outcomes were reported as abandoned; nothing is retried.
      if (this.closed) return;
      this.failures += 1;
      this.queue.unshift(...batch);
      this.onWriteError(error, this.failures);
      this.schedule(this.retryDelay());
      return;
    }
    this.inFlight = [];
    this.failures = 0;
    batch.forEach((pending, index) => {
      pending.resolve(results[index] ?? { kind: 'error', error: new Error('no result for this outcome') });
    });
    if (this.queue.length > 0) this.schedule(this.timing.flushDelay);
    else {
      // A retry planned for outcomes this write has just stored is no longer needed.
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.notifyIdle();
    }
  }

  private notifyIdle(): void {
    if (this.queue.length > 0 || this.timer) return;
    for (const waiter of this.idleWaiters.splice(0)) waiter();
  }

  /** Resolves once nothing is queued, retries included (never, during an outage, until `abandon`). */
  drain(): Promise<void> {
    // A write in flight may still fail (or time out) and be queued again: wait for idle, not for it.
    if (this.queue.length === 0 && !this.timer && this.inFlight.length === 0) return this.flushing;
    if (this.failures === 0 && this.queue.length > 0) void this.flush();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Gives up every outcome not written yet (each resolves as an {@link OutcomeAbandonedError}, with
   * `inFlight` for those whose write is still in flight or went unanswered before),
   * stops retrying, and closes the writer until {@link OutcomeWriter.reopen}.
   */
  abandon(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const queued = new OutcomeAbandonedError();
    const inFlight = new OutcomeAbandonedError(true);
    for (const pending of this.queue.splice(0)) {
      pending.resolve({ kind: 'error', error: pending.unanswered ? inFlight : queued });
    }
    for (const pending of this.inFlight.splice(0)) pending.resolve({ kind: 'error', error: inFlight });
    this.failures = 0;
    this.notifyIdle();
  }

  /** Accepts outcomes again after {@link OutcomeWriter.abandon} (the engine started again). */
  reopen(): void {
    this.closed = false;
  }
}
