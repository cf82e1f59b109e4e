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
  /** Shorter than most slow jobs: a planned restart's `stop()` reaches its deadline with jobs running. */
  shutdownTimeout: 2_000,
} as const;

/**
 * The always-failing worker's own retry policy (the others use the instance's): it is not on the
 * job document, and the last instance slot has no such worker, so a job it recovers must still be
 * governed by this policy (read from the job, not from the recovering instance).
 */
export const ALWAYS_FAILING_POLICY = { maxRetries: 2, backoff: { type: 'fixed', delay: 300 } } as const;

/** `operationTimeout` of the producers and the operator: their calls time out within short partitions. */
export const CLIENT_OPERATION_TIMEOUT = 1_500;

/** How many producer processes enqueue the jobs. */
export const PRODUCERS = 2;

/** The engine's default collection (the run uses a fresh database). */
export const JOBS_COLLECTION = 'monque_jobs';
/** One document per job: how many times its handler was entered (decides when a failing job stops throwing). */
export const ATTEMPTS_COLLECTION = 'chaos_attempts';

/**
 * How a one-off job's handler behaves. `limited`, `grouped` and `rated` are the flow-controlled
 * names (see {@link FLOW_LIMITS}): their handlers work `ms` and succeed, except that a job with
 * `rateLimitMs` throws a `RateLimitError` of that many ms on its first attempt.
 */
export type JobKind = 'fast' | 'slow' | 'failing' | 'always-failing' | 'limited' | 'grouped' | 'rated';

/** The data of a chaos job: everything its handler does is decided here. */
export interface ChaosJobData {
  readonly kind: JobKind | 'recurring';
  /** How long the handler works (ms). */
  readonly ms: number;
  /** `failing` only: the handler throws on its first `failTimes` attempts. */
  readonly failTimes?: number;
  /** `slow` only: the handler ignores its `signal` (cancellation, lock loss, `stop()`'s deadline) and works on. */
  readonly stubborn?: boolean;
  /** One-off jobs: the enqueue call that wrote it (`p<producer>.<order>.<attempt>`), unique per call. */
  readonly ref?: string;
  /** A job of a workflow (`wf<n>`): it may depend on others of the workflow (its `dependsOn`). */
  readonly wf?: string;
  /** Enqueued with this `group` (the flow-controlled names: a tenant). */
  readonly group?: string;
  /** `rated` and `limited` only: the first attempt throws `RateLimitError(rateLimitMs)`. */
  readonly rateLimitMs?: number;
}

/** What every successful handler returns (stored as the job's `result`): which run succeeded. */
export interface ChaosResult {
  readonly run: string;
}

/** The one-off job names. */
export const ONE_OFF_KINDS: readonly JobKind[] = ['fast', 'slow', 'failing', 'always-failing'];

/** The retry limit that governs a one-off job of `kind`. */
export function maxRetriesOf(kind: ChaosJobData['kind']): number {
  return kind === 'always-failing' ? ALWAYS_FAILING_POLICY.maxRetries : ENGINE.maxRetries;
}

/** The flow-control options of a worker (the part the run uses; see the core's `FlowControlOptions`). */
export interface ChaosFlowLimits {
  readonly globalConcurrency?: number;
  readonly groupConcurrency?: number;
  readonly rateLimit?: { readonly max: number; readonly duration: number; readonly perGroup?: boolean };
}

/**
 * The flow-controlled kinds and their worker's limits, each below what the instances together
 * would run (3 instances x concurrency 2), so the limit binds:
 * - `limited`: `globalConcurrency` 2; some handlers throw a `RateLimitError` (held through the
 *   pause state: the worker has no `rateLimit`);
 * - `grouped`: jobs of a few tenants (one with a backlog), `groupConcurrency` 1;
 * - `rated`: at most 4 starts per second on all instances together; some handlers throw a
 *   `RateLimitError` (the name then starts nothing until it is over).
 * None of their jobs has a timeout, and the operator never cancels them: a run that ignores its
 * signal after a timeout or a cancellation frees its slot early (a documented limitation).
 */
export const FLOW_LIMITS: Readonly<Partial<Record<JobKind, ChaosFlowLimits>>> = {
  limited: { globalConcurrency: 2 },
  grouped: { groupConcurrency: 1 },
  rated: { rateLimit: { max: 4, duration: 1_000 } },
};

/** The flow-controlled kinds (see {@link FLOW_LIMITS}). */
export const LIMITED_KINDS: readonly JobKind[] = ['limited', 'grouped', 'rated'];

/** Job name of each kind, and its worker's concurrency. */
export const WORKERS: Readonly<Record<JobKind | 'recurring', { name: string; concurrency: number }>> = {
  fast: { name: 'chaos.fast', concurrency: 4 },
  slow: { name: 'chaos.slow', concurrency: 3 },
  failing: { name: 'chaos.failing', concurrency: 3 },
  'always-failing': { name: 'chaos.always-failing', concurrency: 2 },
  limited: { name: 'chaos.limited', concurrency: 2 },
  grouped: { name: 'chaos.grouped', concurrency: 2 },
  rated: { name: 'chaos.rated', concurrency: 2 },
  recurring: { name: 'chaos.recurring', concurrency: 1 },
};

/** The limits of the worker of job `name`, if it is flow-controlled. */
export function limitsOfName(name: string): ChaosFlowLimits | undefined {
  const kind = LIMITED_KINDS.find((candidate) => WORKERS[candidate].name === name);
  return kind === undefined ? undefined : FLOW_LIMITS[kind];
}

/** The schedules every instance declares at start (each must stay one document). */
export const SCHEDULES = [
  { cron: '* * * * *', uniqueKey: 'a', data: { kind: 'recurring', ms: 300 } },
  { cron: '* * * * *', uniqueKey: 'b', data: { kind: 'recurring', ms: 1_500 } },
] as const satisfies readonly { cron: string; uniqueKey: string; data: ChaosJobData }[];

/** One handler run, as an instance records it (directly, not through its fault proxy). */
export interface LedgerRun {
  /** A fresh id per run. */
  _id: string;
  jobId: ObjectId;
  name: string;
  instanceId: string;
  pid: number;
  /** The job's `data.ref` (which enqueue call wrote it). */
  ref?: string;
  /** The job's `group`, if it has one. */
  group?: string;
  /** The handler threw `RateLimitError(retryAfterMs)`. */
  retryAfterMs?: number;
  /** When the handler was entered (real time). */
  start: Date;
  /** The job's `lockedAt` as handed to the handler: when it was claimed, on the instance's clock. */
  claimedAt?: Date;
  /** When it returned or threw; absent when the process died first. */
  end?: Date;
  outcome?: 'ok' | 'threw';
}
