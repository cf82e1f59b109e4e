import type { ObjectId } from 'mongodb';

/**
 * What every chaos run shares: the engine's timings, job names and kinds, and the messages between
 * the orchestrator and its instance processes.
 */

/** Engine options of every instance (short, so faults outlast locks within a 90 s run). */
export const ENGINE = {
  /** A lock not renewed for this long is stale; partitions of 0.5-4 s straddle it. */
  lockTimeout: 3_000,
  heartbeatInterval: 750,
  pollInterval: 250,
  baseRetryInterval: 200,
  maxRetries: 3,
  shutdownTimeout: 10_000,
} as const;

/** The engine's default collection (the run uses a fresh database). */
export const JOBS_COLLECTION = 'monque_jobs';
/** One document per job: how many times its handler was entered (decides when a failing job stops throwing). */
export const ATTEMPTS_COLLECTION = 'chaos_attempts';

/** How a one-off job's handler behaves. */
export type JobKind = 'fast' | 'slow' | 'failing' | 'always-failing';

/** The data of a chaos job: everything its handler does is decided here. */
export interface ChaosJobData {
  readonly kind: JobKind | 'recurring';
  /** How long the handler works (ms). */
  readonly ms: number;
  /** `failing` only: the handler throws on its first `failTimes` attempts. */
  readonly failTimes?: number;
}

/** Job name of each kind, and its worker's concurrency. */
export const WORKERS: Readonly<Record<JobKind | 'recurring', { name: string; concurrency: number }>> = {
  fast: { name: 'chaos.fast', concurrency: 4 },
  slow: { name: 'chaos.slow', concurrency: 3 },
  failing: { name: 'chaos.failing', concurrency: 3 },
  'always-failing': { name: 'chaos.always-failing', concurrency: 2 },
  recurring: { name: 'chaos.recurring', concurrency: 1 },
};

/** The schedules every instance declares at start (each must stay one document). */
export const SCHEDULES = [
  { cron: '* * * * *', uniqueKey: 'a', data: { kind: 'recurring', ms: 300 } },
  { cron: '* * * * *', uniqueKey: 'b', data: { kind: 'recurring', ms: 1_500 } },
] as const satisfies readonly { cron: string; uniqueKey: string; data: ChaosJobData }[];

/** What the orchestrator tells an instance process (its first argument, as JSON). */
export interface InstanceConfig {
  readonly instanceId: string;
  /** The backend through this instance's fault proxy. */
  readonly proxiedUri: string;
  /** The backend directly (for the ledger only). */
  readonly directUri: string;
  readonly dbName: string;
  /** This process's ledger collection. */
  readonly ledger: string;
  /** Added to the real time by the instance's clock (ms). */
  readonly skewMs: number;
  /** Path of the core's `index.ts`. */
  readonly corePath: string;
}

/** Messages from an instance process. */
export type InstanceMessage =
  | { readonly type: 'ready'; readonly at: number }
  | { readonly type: 'event'; readonly event: string; readonly detail: string }
  /** A `job:recovered` event: the job as found, still owned by `owner`, locked at `lockedAt` (owner's clock, ms). */
  | { readonly type: 'recovered'; readonly jobId: string; readonly owner: string; readonly lockedAt: number | null }
  | { readonly type: 'stopped'; readonly at: number };

/** Messages to an instance process. */
export type OrchestratorMessage = { readonly type: 'stop' };

/** One handler run, as an instance records it (directly, not through its fault proxy). */
export interface LedgerRun {
  /** A fresh id per run. */
  _id: string;
  jobId: ObjectId;
  name: string;
  instanceId: string;
  pid: number;
  /** When the handler was entered (real time). */
  start: Date;
  /** When it returned or threw; absent when the process died first. */
  end?: Date;
  outcome?: 'ok' | 'threw';
}
