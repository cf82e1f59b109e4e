/**
 * Batches the outcome writes of finished runs: outcomes queued within `flushDelay` ms go to the
 * database together (see `JobStore.applyOutcomes`), and each caller learns whether its write
 * landed or was fenced out. A failed flush is retried with the next one, a few times.
 */
import type { ObjectId } from 'mongodb';
import type { JobOutcome, JobStore } from '../store/job-store.js';
import type { Clock } from '../types.js';

/** Result of one outcome write. */
export type WriteResult = 'written' | 'lost';

interface Pending {
  readonly outcome: JobOutcome;
  readonly resolve: (result: WriteResult) => void;
  readonly reject: (error: unknown) => void;
  attempts: number;
}

/** How many times a write is tried before its caller sees the error. */
const MAX_ATTEMPTS = 3;

/** Queues outcomes and writes them in batches. */
export class OutcomeWriter {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: JobStore,
    private readonly clock: Clock,
    private readonly flushDelay = 2,
    private readonly maxBatch = 500,
    private readonly retryDelay = 200,
  ) {}

  /** Queues `outcome`; resolves once written (or fenced out). */
  write(outcome: JobOutcome): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ outcome, resolve, reject, attempts: 0 });
      if (this.queue.length >= this.maxBatch) void this.flush();
      else this.schedule(this.flushDelay);
    });
  }

  private schedule(delay: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
  }

  /** Writes everything queued now; resolves when done. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.flushing = this.flushing.then(() => this.writeBatch());
    return this.flushing;
  }

  private async writeBatch(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let lost: ObjectId[];
    try {
      lost = await this.store.applyOutcomes(
        batch.map((pending) => pending.outcome),
        this.clock.now(),
      );
    } catch (error) {
      for (const pending of batch) {
        pending.attempts += 1;
        if (pending.attempts >= MAX_ATTEMPTS) pending.reject(error);
        else this.queue.push(pending);
      }
      if (this.queue.length > 0) this.schedule(this.retryDelay);
      return;
    }
    const lostIds = new Set(lost.map((id) => id.toHexString()));
    for (const pending of batch) {
      pending.resolve(lostIds.has(pending.outcome.job._id.toHexString()) ? 'lost' : 'written');
    }
  }

  /** Flushes until nothing is queued (retries included). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.timer) await this.flush();
    await this.flushing;
  }
}
