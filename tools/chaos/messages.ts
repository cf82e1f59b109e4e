/**
 * What the orchestrator and its child processes (instances, producers, the operator) tell each
 * other, and the records the children send back as evidence for the checker.
 */
import type { ChaosJobData } from './settings.js';

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
  /** Register no worker for the always-failing jobs (the last slot; see `ALWAYS_FAILING_POLICY`). */
  readonly withoutAlwaysFailing: boolean;
}

/** Messages from an instance process. */
export type InstanceMessage =
  | { readonly type: 'ready'; readonly at: number }
  | { readonly type: 'event'; readonly event: string; readonly detail: string }
  /** A `job:recovered` event: the job as found, still owned by `owner`, locked at `lockedAt` (owner's clock, ms). */
  | { readonly type: 'recovered'; readonly jobId: string; readonly owner: string; readonly lockedAt: number | null }
  /** The process's event loop did not run between `from` and `to` (a stall longer than 500 ms). */
  | { readonly type: 'stall'; readonly from: number; readonly to: number }
  /** `stop()` reached its deadline: these jobs were not finished (`ShutdownTimeoutError.incompleteJobs`). */
  | { readonly type: 'shutdown-timeout'; readonly at: number; readonly jobIds: readonly string[] }
  | { readonly type: 'stopped'; readonly at: number };

/** Messages to an instance process. */
export type OrchestratorMessage = { readonly type: 'stop' };

/** Exit code of an instance still alive 5 s after `stop()` resolved and its clients were closed. */
export const HUNG_AFTER_STOP = 4;

/** A producer or the operator: `p0`, `p1`, … or `op`. */
export type ClientId = `p${number}` | 'op';

/** What the orchestrator tells a producer or operator process (its first argument, as JSON). */
export interface ClientConfig {
  readonly clientId: ClientId;
  /** The backend through this client's fault proxy. */
  readonly proxiedUri: string;
  readonly dbName: string;
  readonly corePath: string;
}

/** One planned operator action (see operator.ts); `pick` in [0, 1) chooses among the candidates found. */
export type OperatorAction =
  | {
      readonly id: string;
      readonly kind: 'cancel-running' | 'cancel-pending' | 'retry-failed' | 'reschedule' | 'delete-finished';
      readonly pick: number;
    }
  | { readonly id: string; readonly kind: 'pause'; readonly name: string; readonly ms: number }
  /** Cancel this job (the orchestrator found it running). */
  | { readonly id: string; readonly kind: 'cancel-job'; readonly jobId: string };

/** One job a producer must get enqueued (retrying on error until a call resolves). */
export interface Order {
  readonly order: string;
  readonly name: string;
  readonly data: ChaosJobData;
  /**
   * Orders of the same workflow this job depends on: it is enqueued with `dependsOn` naming the jobs
   * their resolved calls returned, once they all resolved.
   */
  readonly after?: readonly string[];
  /** Enqueued with `onDependencyFailure: 'run'`. */
  readonly runAnyway?: boolean;
}

/** Messages to a producer or the operator. */
export type ClientOrder =
  /** With `flow` (the workflow's name), the orders form one tree enqueued by one `flow()` call. */
  | { readonly type: 'enqueue'; readonly orders: readonly Order[]; readonly flow?: string }
  | { readonly type: 'act'; readonly action: OperatorAction }
  /** Finish what was asked (faults are healed by then), report, and exit. */
  | { readonly type: 'stop' };

/** A finished job as the operator read it just before deleting it. */
export interface JobSnapshot {
  readonly _id: string;
  readonly name: string;
  readonly data: ChaosJobData;
  readonly status: string;
  readonly failCount?: number;
  readonly result?: unknown;
}

/** The public methods the producers and the operator call. */
export type ClientMethod =
  | 'enqueue'
  /** A whole workflow in one call; each of its jobs is also recorded as an `enqueue` of its own ref. */
  | 'flow'
  | 'getJobs'
  | 'getJob'
  | 'cancelJob'
  | 'retryJobs'
  | 'pause'
  | 'resume'
  | 'rescheduleJob'
  | 'deleteJobs';

/** One call of a public method by a producer or the operator: what it returned or threw, and when. */
export interface CallRecord {
  readonly client: ClientId;
  readonly method: ClientMethod;
  /** The order or operator action it serves: every attempt of one shares it. */
  readonly action: string;
  /** The job it targets, or (enqueue) the job it returned. */
  readonly jobId?: string;
  /** enqueue: the `data.ref` it wrote; retryJobs/deleteJobs: the `data.ref` its query selects. */
  readonly ref?: string;
  /** pause/resume: the job name. */
  readonly name?: string;
  /** When it was called and when it settled (ms since epoch, this machine's clock). */
  readonly start: number;
  readonly end: number;
  /** What it resolved with, summarised: a job's status, a count, `null`; absent when it threw. */
  readonly returned?: string | number | null;
  /** `Name: message` of what it threw. */
  readonly error?: string;
  /** What it threw said, in its `mayHaveBeenApplied` property, whether its write may have been applied. */
  readonly mayHaveBeenApplied?: boolean;
  /** deleteJobs: the job as read just before (finished then). */
  readonly snapshot?: JobSnapshot;
}

/** A command of a producer's driver carrying an enqueued job (from its `commandStarted` events). */
export interface SentCommand {
  readonly ref: string;
  /** When the driver first sent a command carrying it. */
  readonly at: number;
}

/** Messages from a producer or the operator. */
export type ClientMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'call'; readonly call: CallRecord }
  | { readonly type: 'sent'; readonly sent: SentCommand }
  | { readonly type: 'stopped' };
