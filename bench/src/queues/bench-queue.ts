/**
 * The one shape the scenarios drive, so Monque and Agenda run exactly the same steps.
 */
import type { Db } from 'mongodb';

/** What every benchmark job carries. */
export interface JobPayload {
  /** Position in its scenario (unique per job within one run). */
  readonly seq: number;
  /** `Date.now()` just before the enqueue call (same clock across processes on one machine). */
  readonly enqueuedAt: number;
  /** For a delayed job: the `runAt` it was enqueued with, as `Date.now()` milliseconds. */
  readonly dueAt?: number;
  /** The handler throws on the job's first attempt (and succeeds on the retry). */
  readonly failFirstAttempt?: boolean;
}

/** What a handler and the listeners learn about the run of a job. */
export interface RunInfo {
  /** The job's id as the library stores it (`_id`), as a string. */
  readonly id: string;
  /** The job name. */
  readonly name: string;
  /** 1 for the first run, 2 for the first retry, ... (from the job's stored fail count). */
  readonly attempt: number;
}

/** How a run of a job ended, once the library reported its outcome written. */
export type RunOutcome = 'completed' | 'retrying' | 'failed';

/** One job name a scheduler processes. */
export interface WorkerSpec {
  readonly name: string;
  /** Jobs of this name running at once in this scheduler. */
  readonly concurrency: number;
  /**
   * Monque's flow-control worker options (`globalConcurrency`, `groupConcurrency`, `rateLimit`);
   * Agenda has none of them (its `concurrency` and `lockLimit` are per process).
   */
  readonly flow?: FlowOptions;
}

/** Monque's flow-control worker options, as plain data (they cross process boundaries). */
export interface FlowOptions {
  readonly globalConcurrency?: number;
  readonly groupConcurrency?: number;
  readonly rateLimit?: { readonly max: number; readonly duration: number; readonly perGroup?: boolean };
}

/** How a scheduler processes in a scenario. */
export interface ProcessingSettings {
  /**
   * The job names to register.
   * @defaultValue one worker for {@link JOB_NAME} with {@link ProcessingSettings.concurrency}
   */
  readonly workers?: readonly WorkerSpec[];
  /** Concurrency of the default worker (ignored when `workers` is given). */
  readonly concurrency: number;
  /** Flow-control options of the default worker (Monque only; ignored when `workers` is given). */
  readonly flow?: FlowOptions;
  /** Called when a handler starts. */
  readonly onHandlerStart: (payload: JobPayload, info: RunInfo) => void;
  /**
   * The job's work after `onHandlerStart`; a throw fails the run.
   * @defaultValue nothing (a no-op job)
   */
  readonly work?: (payload: JobPayload, info: RunInfo) => Promise<void> | void;
  /** Called when a run's outcome is written (the library's own "completed"/"failed" event). */
  readonly onJobDone: (payload: JobPayload, outcome: RunOutcome, info: RunInfo) => void;
}

/** Options of {@link BenchQueue.enqueue}. */
export interface EnqueueSpec {
  /** @defaultValue {@link JOB_NAME} */
  readonly name?: string;
  /** @defaultValue now */
  readonly runAt?: Date;
}

/** One library's queue on one collection. */
export interface BenchQueue {
  /** Adds one job (due now unless `spec.runAt`). */
  enqueue(payload: JobPayload, spec?: EnqueueSpec): Promise<void>;
  /** Adds many jobs of {@link JOB_NAME} in one call; `undefined` when the library has no bulk API. */
  readonly enqueueMany: ((payloads: readonly JobPayload[]) => Promise<void>) | undefined;
  /** Registers the benchmark's handlers and starts processing; resolves once running. */
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
  /**
   * Retry a failed job once, this many ms after the failure (Monque: `maxRetries: 2`,
   * `baseRetryInterval` = half of it, as the first backoff is `2^1 × base`; Agenda:
   * `backoff: constant({ delay, maxRetries: 1 })`).
   * @defaultValue each library's own retry defaults
   */
  readonly retryOnceAfterMs?: number;
}

/** A library under test. */
export interface QueueLibrary {
  readonly label: 'Monque' | 'Agenda';
  /** The installed version. */
  readonly version: string;
  /** A queue on `collection` of `db` (ready to enqueue once the promise resolves). */
  open(db: Db, collection: string, options: OpenOptions): Promise<BenchQueue>;
}

/** The job name every scenario uses unless it needs several. */
export const JOB_NAME = 'bench-noop';

/** The workers of `settings` (the default one when none are given). */
export function workersOf(settings: ProcessingSettings): readonly WorkerSpec[] {
  return (
    settings.workers ?? [
      { name: JOB_NAME, concurrency: settings.concurrency, ...(settings.flow ? { flow: settings.flow } : {}) },
    ]
  );
}

/** Loads a library by label (child processes get the label over IPC). */
export async function loadLibrary(label: QueueLibrary['label']): Promise<QueueLibrary> {
  if (label === 'Monque') return (await import('./monque-queue.js')).monqueLibrary;
  return (await import('./agenda-queue.js')).agendaLibrary;
}
