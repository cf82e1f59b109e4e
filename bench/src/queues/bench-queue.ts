/**
 * The one shape the scenarios drive, so Monque and Agenda run exactly the same steps.
 */
import type { Db } from 'mongodb';

/** What every benchmark job carries. */
export interface JobPayload {
  /** Position in its scenario. */
  readonly seq: number;
  /** `Date.now()` just before the enqueue call (for pickup latency; same clock across processes on one machine). */
  readonly enqueuedAt: number;
}

/** How a scheduler processes in a scenario. */
export interface ProcessingSettings {
  /** Jobs of the benchmark's one job name running at once. */
  readonly concurrency: number;
  /** Called when a handler starts. */
  readonly onHandlerStart: (payload: JobPayload) => void;
  /** Called when a job's outcome is written (the library's own "completed" event). */
  readonly onJobDone: () => void;
}

/** One library's queue on one collection. */
export interface BenchQueue {
  /** Adds one job due now. */
  enqueue(payload: JobPayload): Promise<void>;
  /** Adds many jobs in one call; `undefined` when the library has no bulk API. */
  readonly enqueueMany: ((payloads: readonly JobPayload[]) => Promise<void>) | undefined;
  /** Registers the benchmark's handler and starts processing; resolves once running. */
  startProcessing(settings: ProcessingSettings): Promise<void>;
  /** Stops processing (when started) and releases what the queue holds. */
  close(): Promise<void>;
}

/** Options of {@link QueueLibrary.open}. */
export interface OpenOptions {
  /** How often an idle scheduler looks for due jobs (Monque `pollInterval`, Agenda `processEvery`). */
  readonly pollInterval: number;
  /**
   * Let an enqueue in this process wake this scheduler at once. Monque always does; Agenda needs
   * its `InMemoryNotificationChannel` (its documented single-process setup), used when `true`.
   */
  readonly localWakeups: boolean;
}

/** A library under test. */
export interface QueueLibrary {
  readonly label: 'Monque' | 'Agenda';
  /** The installed version. */
  readonly version: string;
  /** A queue on `collection` of `db` (ready to enqueue once the promise resolves). */
  open(db: Db, collection: string, options: OpenOptions): Promise<BenchQueue>;
}

/** The job name every scenario uses. */
export const JOB_NAME = 'bench-noop';
