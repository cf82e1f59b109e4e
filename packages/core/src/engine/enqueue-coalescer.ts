/**
 * Coalesces concurrent `enqueue` calls: a lone call is sent at once, with no timer; calls that
 * arrive while a write is in flight wait for it and then go together in one batch (one `insert`
 * for plain jobs, one `update` of upserts plus one `find` for keyed ones). Each caller still gets
 * its own job or its own error, and calls with the same unique key get the same job.
 *
 * Two rules keep what callers are told true:
 * - a call whose caller gave up while it was still queued is withdrawn: it is never sent, so a
 *   caller told "nothing was written" can retry without making a second job;
 * - a write that takes longer than half the operation timeout (a connection that stopped
 *   answering) is no longer waited for: it still settles its own calls when it ends, and the next
 *   write carries one queued call. When that one is answered in time, the rest follow at once, so
 *   one stalled connection does not fail every enqueue queued behind it; when the database does
 *   not answer at all, at most one call per half timeout is sent (and may be in doubt), and the
 *   others are withdrawn when their callers give up;
 * - a call handed to the driver carries its caller's `AbortSignal`: once the caller gave up, the
 *   driver drops the write if it still holds it (waiting for a server or a connection) instead of
 *   sending it later. A batch is dropped when any of its callers gives up (its other callers are
 *   then told that their jobs may have been written).
 */
import type { InsertResult, InsertStore, NewJob } from '../store/insert-store.js';
import type { JobDocument } from '../store/job-document.js';

interface Waiting {
  readonly job: NewJob;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (doc: JobDocument) => void;
  readonly reject: (error: unknown) => void;
}

/** One call handed to the coalescer. */
export interface Submission<T> {
  /** Settles with the job written, or the error that kept it out. */
  readonly written: Promise<JobDocument<T>>;
  /**
   * Takes the call out of the queue if it has not been sent yet (its `written` then never settles).
   * @returns `true` when it was withdrawn unsent, `false` when its write was already sent
   */
  withdraw(): boolean;
}

/** Most jobs sent in one batch. */
const MAX_BATCH = 1000;

/** Batches enqueues that arrive while another is being written. */
export class EnqueueCoalescer {
  private waiting: Waiting[] = [];
  private inFlight = false;

  /**
   * @param now - the time stamped on each batch's jobs
   * @param operationTimeout - how long a caller waits; the next batch waits for a write at most half of it
   */
  constructor(
    private readonly store: InsertStore,
    private readonly now: () => Date,
    private readonly operationTimeout: number,
  ) {}

  /**
   * Inserts `job` (alone, or with the calls that arrive while a write is in flight).
   * @param signal - aborts when the caller gives up: the write carrying the job is never sent afterwards
   */
  submit<T>(job: NewJob<T>, signal?: AbortSignal): Submission<T> {
    let entry: Waiting | undefined;
    const written = new Promise<JobDocument<T>>((resolve, reject) => {
      entry = { job, signal, resolve: resolve as (doc: JobDocument) => void, reject };
    });
    const waiting = entry as Waiting;
    this.waiting.push(waiting);
    if (!this.inFlight) void this.sendWaiting();
    return {
      written,
      withdraw: () => {
        const index = this.waiting.indexOf(waiting);
        if (index === -1) return false;
        this.waiting.splice(index, 1);
        return true;
      },
    };
  }

  private async sendWaiting(): Promise<void> {
    this.inFlight = true;
    let stalled = false;
    while (this.waiting.length > 0) {
      // After a write that did not answer in time, the next one carries one call: whether it is
      // answered tells a stalled connection (the rest follow at once) from an outage (they wait).
      // A write dropped because its caller gave up is no answer: the next waits out the half timeout.
      const batch: Waiting[] = this.waiting.splice(0, stalled ? 1 : MAX_BATCH);
      stalled = !(await this.answeredWithin(this.write(batch), this.operationTimeout / 2));
    }
    this.inFlight = false;
  }

  /**
   * Writes `batch` and settles each of its calls.
   * @returns whether the database answered: `false` when the write was dropped (a caller gave up)
   */
  private async write(batch: Waiting[]): Promise<boolean> {
    const now = this.now();
    const signals = batch.flatMap((waiting) => (waiting.signal ? [waiting.signal] : []));
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    let results: InsertResult[];
    try {
      results =
        batch.length === 1
          ? [{ doc: await this.store.insertOne((batch[0] as Waiting).job, now, undefined, signal) }]
          : await this.store.insertBatch(
              batch.map((waiting) => waiting.job),
              now,
              undefined,
              signal,
            );
    } catch (error) {
      results = batch.map(() => ({ error }));
    }
    batch.forEach((waiting, index) => {
      const result = results[index] ?? { error: new Error('no result for this job') };
      if ('doc' in result) waiting.resolve(result.doc);
      else waiting.reject(result.error);
    });
    return !signal?.aborted;
  }

  /**
   * Waits for `work` to be answered, or `ms`, whichever comes first (work that ends unanswered waits
   * out `ms`). @returns whether it was answered in time
   */
  private async answeredWithin(work: Promise<boolean>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const elapsed = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
      // Pacing alone never keeps the process alive (after a dropped write it is waited out in full).
      timer.unref();
    });
    const answered = await Promise.race([work.then((answered) => (answered ? true : elapsed)), elapsed]);
    clearTimeout(timer);
    return answered;
  }
}
