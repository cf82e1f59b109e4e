/**
 * Coalesces concurrent `enqueue` calls: a lone call is sent at once, with no timer; calls that
 * arrive while a write is in flight wait for it and then go together in one batch (one `insert`
 * for plain jobs, one `update` of upserts plus one `find` for keyed ones). Each caller still gets
 * its own job or its own error, and calls with the same unique key get the same job.
 */
import type { InsertResult, InsertStore, NewJob } from '../store/insert-store.js';
import type { JobDocument } from '../store/job-document.js';

interface Waiting {
  readonly job: NewJob;
  readonly resolve: (doc: JobDocument) => void;
  readonly reject: (error: unknown) => void;
}

/** Most jobs sent in one batch. */
const MAX_BATCH = 1000;

/** Batches enqueues that arrive while another is being written. */
export class EnqueueCoalescer {
  private waiting: Waiting[] = [];
  private inFlight = false;

  /** @param now - the time stamped on each batch's jobs */
  constructor(
    private readonly store: InsertStore,
    private readonly now: () => Date,
  ) {}

  /** Inserts `job` (alone, or with the calls that arrive while a write is in flight). */
  submit<T>(job: NewJob<T>): Promise<JobDocument<T>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ job, resolve: resolve as (doc: JobDocument) => void, reject });
      if (!this.inFlight) void this.sendWaiting();
    });
  }

  private async sendWaiting(): Promise<void> {
    this.inFlight = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      const now = this.now();
      let results: InsertResult[];
      try {
        results =
          batch.length === 1
            ? [{ doc: await this.store.insertOne((batch[0] as Waiting).job, now) }]
            : await this.store.insertBatch(
                batch.map((waiting) => waiting.job),
                now,
              );
      } catch (error) {
        results = batch.map(() => ({ error }));
      }
      batch.forEach((waiting, index) => {
        const result = results[index] ?? { error: new Error('no result for this job') };
        if ('doc' in result) waiting.resolve(result.doc);
        else waiting.reject(result.error);
      });
    }
    this.inFlight = false;
  }
}
