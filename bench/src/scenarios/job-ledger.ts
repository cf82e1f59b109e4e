/**
 * The steady load's ledger: for each job (by `seq`) when it was offered or due, when its first
 * attempt started, when its final completion was written, and how often each attempt started.
 * Fed with worker events as they arrive and with the producer's list of offered jobs at the end.
 */
import type { OfferedJob } from '../processes/producer-process.js';
import type { WorkerEvent } from '../processes/worker-process.js';
import { percentile } from '../stats.js';

/** Percentiles of one latency (ms). */
export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Enqueue → start and enqueue → completion, for one kind of job. */
export interface LatencyPair {
  readonly start: Percentiles;
  readonly completion: Percentiles;
}

/** Latencies of all jobs and per kind. */
export interface LatencySummary extends LatencyPair {
  /** Jobs due at once, that did not fail. */
  readonly immediate: LatencyPair;
  /** Jobs enqueued with a `runAt` (measured from it). */
  readonly delayed: LatencyPair;
  /** Jobs whose first attempt failed (completion includes the retry). */
  readonly retried: LatencyPair;
  /** Starts before the job was offered or due (should be 0). */
  readonly startedEarly: number;
}

function percentiles(samples: readonly number[]): Percentiles {
  return {
    count: samples.length,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max: samples.length > 0 ? Math.max(...samples) : Number.NaN,
  };
}

/** Records per job of one steady-load run. */
export class JobLedger {
  private readonly firstStart: Float64Array;
  private readonly completedAt: Float64Array;
  private readonly retried: Uint8Array;
  private readonly reference: Float64Array;
  private readonly isDelayed: Uint8Array;
  private readonly starts = new Map<string, number>();
  private completed = 0;
  private lastCompletion = 0;

  constructor(private readonly total: number) {
    this.firstStart = new Float64Array(total);
    this.completedAt = new Float64Array(total);
    this.retried = new Uint8Array(total);
    this.reference = new Float64Array(total);
    this.isDelayed = new Uint8Array(total);
  }

  /**
   * Records a worker event.
   * @returns `true` when the job is finished for good (completed or failed): it may be deleted
   */
  record(event: WorkerEvent): boolean {
    const { seq } = event;
    if (seq < 0 || seq >= this.total) return false;
    if (event.kind === 'start') {
      const key = `${seq}:${event.attempt}`;
      this.starts.set(key, (this.starts.get(key) ?? 0) + 1);
      if (event.attempt === 1 && this.firstStart[seq] === 0) this.firstStart[seq] = event.at;
      return false;
    }
    if (event.kind === 'retrying') {
      this.retried[seq] = 1;
      return false;
    }
    if (event.kind === 'failed') return true;
    if (this.completedAt[seq] === 0) {
      this.completedAt[seq] = event.at;
      this.completed += 1;
      this.lastCompletion = Math.max(this.lastCompletion, event.at);
    }
    return true;
  }

  /** Takes the producer's list: a job's reference time is its due time, else its enqueue call. */
  offered(jobs: readonly OfferedJob[]): void {
    for (const [seq, enqueuedAt, dueAt] of jobs) {
      if (seq < 0 || seq >= this.total) continue;
      this.reference[seq] = dueAt > 0 ? dueAt : enqueuedAt;
      this.isDelayed[seq] = dueAt > 0 ? 1 : 0;
    }
  }

  /** Jobs completed so far. */
  completedCount(): number {
    return this.completed;
  }

  /** When the last completion was written (0 before any). */
  lastCompletionAt(): number {
    return this.lastCompletion;
  }

  /** Jobs completed at or before `at`. */
  completedBy(at: number): number {
    let count = 0;
    for (let seq = 0; seq < this.total; seq += 1) {
      const done = this.completedAt[seq] ?? 0;
      if (done > 0 && done <= at) count += 1;
    }
    return count;
  }

  /** Jobs offered and due at or before `at`, not completed by then. */
  backlogAt(at: number): number {
    let count = 0;
    for (let seq = 0; seq < this.total; seq += 1) {
      const due = this.reference[seq] ?? 0;
      const done = this.completedAt[seq] ?? 0;
      if (due > 0 && due <= at && (done === 0 || done > at)) count += 1;
    }
    return count;
  }

  /** Attempts of a job that started more than once. */
  duplicateStarts(): number {
    let count = 0;
    for (const starts of this.starts.values()) if (starts > 1) count += starts - 1;
    return count;
  }

  /** Latency percentiles over every job with a reference time. */
  latency(): LatencySummary {
    const all = { start: [] as number[], completion: [] as number[] };
    const immediate = { start: [] as number[], completion: [] as number[] };
    const delayed = { start: [] as number[], completion: [] as number[] };
    const retried = { start: [] as number[], completion: [] as number[] };
    let startedEarly = 0;
    for (let seq = 0; seq < this.total; seq += 1) {
      const reference = this.reference[seq] ?? 0;
      if (reference === 0) continue;
      const kinds = [all, this.retried[seq] ? retried : this.isDelayed[seq] ? delayed : immediate];
      const start = this.firstStart[seq] ?? 0;
      if (start > 0) {
        if (start < reference) startedEarly += 1;
        for (const kind of kinds) kind.start.push(start - reference);
      }
      const done = this.completedAt[seq] ?? 0;
      if (done > 0) for (const kind of kinds) kind.completion.push(done - reference);
    }
    const pair = (kind: typeof all): LatencyPair => ({
      start: percentiles(kind.start),
      completion: percentiles(kind.completion),
    });
    return { ...pair(all), immediate: pair(immediate), delayed: pair(delayed), retried: pair(retried), startedEarly };
  }
}
