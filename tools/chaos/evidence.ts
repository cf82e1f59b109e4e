/**
 * What the checker reads after a chaos run, and the indexes over it the invariants share: runs by
 * job, a job's last known state (in the collection, or as the operator read it before deleting
 * it), the operator's cancellations, retries and deletions, and how long a run's lock went without
 * a claim or renewal reaching the server (the proof of a genuine lock expiry).
 */
import type { ObjectId } from 'mongodb';
import type { ClientExit } from './clients.js';
import type { Incarnation } from './instances.js';
import type { CallRecord, SentCommand } from './messages.js';
import { type ChaosJobData, ENGINE, type LedgerRun } from './settings.js';

/** A job document as the checker reads it (or as the operator read it before deleting it). */
export interface JobRecord {
  _id: ObjectId | string;
  name: string;
  data: ChaosJobData;
  status: string;
  failCount?: number;
  uniqueKey?: string;
  owner?: string;
  result?: unknown;
  /** Workflows: the jobs it waits for, what it does when one fails, why it was cancelled. */
  dependsOn?: readonly (ObjectId | string)[];
  onDependencyFailure?: string;
  cancelReason?: string;
  /** Flow control: the job's group, and the slots it holds while running. */
  group?: string;
  limitSlot?: number;
  groupSlot?: number;
}

/** A claim or lock renewal of an instance slot that reached the server (as its fault proxy saw it). */
export interface LockRefresh {
  readonly slot: number;
  /** When the proxy forwarded it (ms since epoch). */
  readonly at: number;
  readonly kind: 'claim' | 'renewal';
  /** The job ids it names, or `null` when it may touch any job. */
  readonly jobIds: readonly string[] | null;
}

/** A `job:recovered` event: the job was found stale, still owned by `owner`. */
export interface Recovery {
  readonly jobId: string;
  readonly owner: string;
  /** The stale `lockedAt` (ms, on the owner's clock), when the event carried it. */
  readonly lockedAt: number | null;
  /** When the orchestrator heard of it. */
  readonly at?: number;
}

/** An instance's `stop()` reached its deadline with these jobs unfinished (they are given back). */
export interface ShutdownTimeout {
  readonly instanceId: string;
  readonly at: number;
  readonly jobIds: readonly string[];
}

/** A partition of an instance slot's proxy. */
export interface Partition {
  readonly slot: number;
  readonly from: number;
  readonly to: number;
}

/** Everything the checker reads. */
export interface RunRecord {
  readonly jobs: readonly JobRecord[];
  readonly runs: readonly LedgerRun[];
  readonly incarnations: readonly Incarnation[];
  readonly clients: readonly ClientExit[];
  readonly refreshes: readonly LockRefresh[];
  readonly recoveries: readonly Recovery[];
  /** Every call of the producers and the operator. */
  readonly calls: readonly CallRecord[];
  /** When each enqueued `data.ref` was first sent by a producer's driver. */
  readonly sends: readonly SentCommand[];
  readonly shutdowns: readonly ShutdownTimeout[];
  readonly partitions: readonly Partition[];
  /**
   * Stalls of the orchestrator's own event loop (longer than 500 ms): the fault proxies run in it,
   * so meanwhile nothing of any instance reached the server.
   */
  readonly stalls: readonly { from: number; to: number }[];
  /** Jobs planted `processing` by "another tool" (no claim token, owner no instance): recovered, then run. */
  readonly orphans: readonly string[];
}

export const id = (value: unknown): string => String(value);
const clockOf = (at: number): string => new Date(at).toISOString().slice(11, 23);

/**
 * A healthy instance renews its locks every `heartbeatInterval`: given this long at a stretch (two
 * beats and the driver's reconnection), it would have renewed a lock.
 */
export const FREE_STRETCH_MS = 2 * ENGINE.heartbeatInterval + 500;
/** Reachable and running, an instance writes a run's outcome this soon after its handler returned. */
export const OUTCOME_GRACE_MS = 1_500;
/** After an outage, the outcome writer's next retry may be this far off (its longest delay). */
export const OUTCOME_RETRY_GRACE_MS = 5_000;

/**
 * Whether a rejected call's error says its write may have been applied: its `mayHaveBeenApplied`
 * property when it has one, else its message ("it may have been applied", "may still be applied",
 * "the job may exist").
 */
export function saysMayBeApplied(error: string | undefined, mayHaveBeenApplied?: boolean): boolean {
  if (mayHaveBeenApplied !== undefined) return mayHaveBeenApplied;
  return /may (still |already )?(have been |be )?(applied|written)|may (already )?exist/i.test(error ?? '');
}

/** An operator action on one job, from its calls: when it began, and whether it took effect. */
export interface ActionOnJob {
  readonly action: string;
  /** The first attempt's start. */
  readonly start: number;
  /** The end of the first attempt that resolved with a job (or a count of 1 or more). */
  readonly appliedAt?: number;
  /** What that attempt resolved with. */
  readonly returned?: CallRecord['returned'];
  /** Some attempt threw an error that does not rule out that it was applied. */
  readonly doubtful: boolean;
}

function groupActions(calls: readonly CallRecord[], method: CallRecord['method']): Map<string, ActionOnJob[]> {
  const byJob = new Map<string, Map<string, ActionOnJob>>();
  for (const call of calls) {
    if (call.method !== method || call.jobId === undefined) continue;
    const actions = byJob.get(call.jobId) ?? new Map<string, ActionOnJob>();
    const known = actions.get(call.action);
    const applied =
      call.error === undefined && call.returned !== null && call.returned !== 0 && known?.appliedAt === undefined;
    const doubtful = call.error !== undefined && !/JobStateError|InvalidArgumentError/.test(call.error);
    actions.set(call.action, {
      action: call.action,
      start: Math.min(known?.start ?? call.start, call.start),
      ...(applied
        ? { appliedAt: call.end, returned: call.returned }
        : known?.appliedAt === undefined
          ? {}
          : { appliedAt: known.appliedAt, returned: known.returned }),
      doubtful: (known?.doubtful ?? false) || doubtful,
    });
    byJob.set(call.jobId, actions);
  }
  return new Map(
    [...byJob].map(([jobId, actions]) => [jobId, [...actions.values()].sort((a, b) => a.start - b.start)]),
  );
}

/** The indexes over a {@link RunRecord} the invariants share. */
export class Evidence {
  readonly runsByJob = new Map<string, LedgerRun[]>();
  readonly incarnationOf: ReadonlyMap<string, Incarnation>;
  /** Jobs the operator deleted: when the deletion was known to be done, and the job as read before. */
  readonly deleted = new Map<string, { at: number; snapshot: JobRecord }>();
  readonly cancels: ReadonlyMap<string, ActionOnJob[]>;
  readonly retries: ReadonlyMap<string, ActionOnJob[]>;
  private readonly refreshesBySlot = new Map<number, LockRefresh[]>();
  private readonly jobsById: ReadonlyMap<string, JobRecord>;

  constructor(readonly record: RunRecord) {
    for (const run of [...record.runs].sort((a, b) => a.start.getTime() - b.start.getTime())) {
      const list = this.runsByJob.get(id(run.jobId)) ?? [];
      list.push(run);
      this.runsByJob.set(id(run.jobId), list);
    }
    this.incarnationOf = new Map(record.incarnations.map((incarnation) => [incarnation.instanceId, incarnation]));
    for (const refresh of [...record.refreshes].sort((a, b) => a.at - b.at)) {
      this.refreshesBySlot.set(refresh.slot, [...(this.refreshesBySlot.get(refresh.slot) ?? []), refresh]);
    }
    this.jobsById = new Map(record.jobs.map((job) => [id(job._id), job]));
    this.cancels = groupActions(record.calls, 'cancelJob');
    this.retries = groupActions(record.calls, 'retryJobs');
    const snapshots = new Map<string, JobRecord>();
    for (const call of record.calls) {
      if (call.method === 'deleteJobs' && call.snapshot) snapshots.set(call.snapshot._id, call.snapshot);
    }
    for (const call of record.calls) {
      const gone =
        (call.method === 'deleteJobs' && typeof call.returned === 'number' && call.returned > 0) ||
        (call.method === 'getJob' && call.error === undefined && call.returned === null);
      const snapshot = call.jobId === undefined ? undefined : snapshots.get(call.jobId);
      if (!gone || !snapshot || call.jobId === undefined) continue;
      const known = this.deleted.get(call.jobId);
      if (!known || call.end < known.at) this.deleted.set(call.jobId, { at: call.end, snapshot });
    }
  }

  /**
   * When the run's instance reported the run's job unfinished at its `stop()` deadline (and so
   * gave it back), if it did while the run was going; `Infinity` otherwise.
   */
  givenBackAtStop(run: LedgerRun): number {
    const jobId = id(run.jobId);
    const report = this.record.shutdowns.find(
      (shutdown) =>
        shutdown.instanceId === run.instanceId && shutdown.jobIds.includes(jobId) && shutdown.at >= run.start.getTime(),
    );
    return report?.at ?? Number.POSITIVE_INFINITY;
  }

  /** The job's runs, oldest first. */
  runsOf(jobId: string): LedgerRun[] {
    return this.runsByJob.get(jobId) ?? [];
  }

  /** Every one-off job known: in the collection, or deleted by the operator (as read before). */
  oneOffJobs(recurringName: string): JobRecord[] {
    const jobs = this.record.jobs.filter((job) => job.name !== recurringName);
    for (const [jobId, { snapshot }] of this.deleted) if (!this.jobsById.has(jobId)) jobs.push(snapshot);
    return jobs;
  }

  /** The job as it is in the collection now, or `undefined`. */
  inCollection(jobId: string): JobRecord | undefined {
    return this.jobsById.get(jobId);
  }

  /** The clock skew of an incarnation. */
  skewOf(instanceId: string): number {
    return this.incarnationOf.get(instanceId)?.skewMs ?? 0;
  }

  /**
   * The earliest the run's claim can have reached the server: its claim turn began at its `lockedAt`
   * (less the instance's skew), and of the claims its slot's proxy forwarded from then until the
   * handler was entered that may have taken the job, the first. (Its start when it carries no
   * `lockedAt`.) A lower bound: "claimed after X" holds when this is after X.
   */
  claimedAt(run: LedgerRun): number {
    if (!run.claimedAt) return run.start.getTime();
    const turn = run.claimedAt.getTime() - this.skewOf(run.instanceId);
    const jobId = id(run.jobId);
    const claims = this.refreshesBySlot.get(this.incarnationOf.get(run.instanceId)?.slot ?? -1) ?? [];
    const first = claims.find(
      (refresh) =>
        refresh.kind === 'claim' &&
        refresh.at >= turn &&
        refresh.at <= run.start.getTime() &&
        (refresh.jobIds === null || refresh.jobIds.includes(jobId)),
    );
    return first?.at ?? turn;
  }

  /** When the run ended: it returned or threw, or its process exited; `Infinity` if never. */
  endOf(run: LedgerRun): number {
    return run.end?.getTime() ?? this.incarnationOf.get(run.instanceId)?.exitedAt ?? Number.POSITIVE_INFINITY;
  }

  /**
   * The longest time `run`'s lock went without a claim or renewal of its job from the run's
   * instance slot reaching the server, from its claim (the last claim forwarded before the run
   * started that may have taken the job) to `until`. Refreshes after the run's process exited do
   * not count (they are another incarnation's). At least `lockTimeout` means the lock genuinely
   * expired, whatever the clocks said.
   */
  lockLapse(run: LedgerRun, until: number): { ms: number; from: number } {
    const incarnation = this.incarnationOf.get(run.instanceId);
    const refreshes = this.refreshesBySlot.get(incarnation?.slot ?? -1) ?? [];
    const died = incarnation?.exitedAt ?? Number.POSITIVE_INFINITY;
    const jobId = id(run.jobId);
    const covers = (refresh: LockRefresh): boolean => refresh.jobIds === null || refresh.jobIds.includes(jobId);
    const started = run.start.getTime();
    let last = started;
    for (const refresh of refreshes)
      if (refresh.kind === 'claim' && refresh.at <= started && covers(refresh)) last = refresh.at;
    let longest = { ms: 0, from: last };
    for (const refresh of refreshes) {
      if (
        refresh.kind !== 'renewal' ||
        refresh.at <= last ||
        refresh.at > until ||
        refresh.at > died ||
        !covers(refresh)
      )
        continue;
      if (refresh.at - last > longest.ms) longest = { ms: refresh.at - last, from: last };
      last = refresh.at;
    }
    return until - last > longest.ms ? { ms: until - last, from: last } : longest;
  }

  /**
   * Whether `run`'s lock genuinely expired before `until` through no fault of the engine: it went
   * `lockTimeout` without a refresh (see {@link lockLapse}), and meanwhile its instance never had
   * {@link FREE_STRETCH_MS} at a stretch in which it could have renewed it (it was partitioned, its
   * event loop stalled, or its process was gone). `freeMs` is that longest stretch; `cause` names
   * what kept it from renewing most of the time.
   */
  forcedLapse(
    run: LedgerRun,
    until: number,
  ): { ms: number; from: number; freeMs: number; forced: boolean; cause: string } {
    const lapse = this.lockLapse(run, until);
    const { freeMs, cause } = this.freeStretch(run.instanceId, lapse.from, lapse.from + lapse.ms);
    return { ...lapse, freeMs, cause, forced: lapse.ms >= ENGINE.lockTimeout && freeMs < FREE_STRETCH_MS };
  }

  /**
   * What kept the incarnation from reaching the server or from running, oldest first: its slot's
   * partitions, its own event-loop stalls, the orchestrator's (where the proxies run), its exit.
   */
  private blockersOf(instanceId: string): { from: number; to: number; what: string }[] {
    const incarnation = this.incarnationOf.get(instanceId);
    const exited = incarnation?.exitedAt;
    return [
      ...this.record.partitions
        .filter((partition) => partition.slot === incarnation?.slot)
        .map((partition) => ({ ...partition, what: `partition of i${partition.slot} at ${clockOf(partition.from)}` })),
      ...(incarnation?.stalls ?? []).map((stall) => ({
        ...stall,
        what: `event-loop stall of ${instanceId} at ${clockOf(stall.from)}`,
      })),
      ...this.record.stalls.map((stall) => ({
        ...stall,
        what: `event-loop stall of the proxies at ${clockOf(stall.from)}`,
      })),
      ...(exited === undefined
        ? []
        : [
            { from: exited, to: Number.POSITIVE_INFINITY, what: `exit of ${instanceId} (${incarnation?.exit ?? '?'})` },
          ]),
    ].sort((a, b) => a.from - b.from);
  }

  /**
   * Whether the run's instance had the time to write the run's outcome between the handler's return
   * and `until`: {@link OUTCOME_GRACE_MS} free of every blocker right after the return, or
   * {@link OUTCOME_RETRY_GRACE_MS} right after a blocker ended (the outcome writer retries a failed
   * write with growing delays). `freeMs` is the longest such stretch.
   */
  outcomeWritable(run: LedgerRun, until: number): { writable: boolean; freeMs: number } {
    return this.writableBetween(
      run.instanceId,
      run.end?.getTime() ?? until,
      until,
      OUTCOME_GRACE_MS,
      OUTCOME_RETRY_GRACE_MS,
    );
  }

  /**
   * Whether the incarnation had the time to write something between `from` and `until`: `grace`
   * ms free of every blocker right after `from`, or `retryGrace` ms right after a blocker ended.
   * `freeMs` is the longest such stretch.
   */
  writableBetween(
    instanceId: string,
    from: number,
    until: number,
    grace: number,
    retryGrace: number,
  ): { writable: boolean; freeMs: number } {
    let cursor = from;
    let allowance = grace;
    let freeMs = 0;
    let writable = false;
    const stretch = (to: number): void => {
      const free = Math.max(0, to - cursor);
      freeMs = Math.max(freeMs, free);
      if (free >= allowance) writable = true;
    };
    for (const block of this.blockersOf(instanceId)) {
      if (block.to <= cursor) continue;
      if (block.from >= until) break;
      stretch(Math.min(block.from, until));
      cursor = Math.max(cursor, block.to);
      allowance = retryGrace;
    }
    stretch(until);
    return { writable, freeMs };
  }

  /**
   * The longest stretch of `[from, to]` during which the incarnation could reach the server and
   * run (outside its slot's partitions, its event-loop stalls, and the time after its process
   * exited), and the one of those that covers most of `[from, to]`.
   */
  freeStretch(instanceId: string, from: number, to: number): { freeMs: number; cause: string } {
    const blocked = this.blockersOf(instanceId);
    let freeMs = 0;
    let cursor = from;
    let cause = { what: 'nothing', ms: 0 };
    for (const block of blocked) {
      const covered = Math.min(block.to, to) - Math.max(block.from, from);
      if (covered > cause.ms) cause = { what: block.what, ms: covered };
      if (block.to <= cursor || block.from >= to) continue;
      freeMs = Math.max(freeMs, block.from - cursor);
      cursor = Math.max(cursor, block.to);
    }
    return { freeMs: Math.max(freeMs, to - cursor), cause: cause.what };
  }

  /**
   * The start of the operator's last retry of the job that took effect: one that resolved with a
   * count, or one whose attempts all failed in doubt but after which the job ran again (a failed
   * job runs only once retried). Runs and charges before it belong to the job's earlier life.
   */
  retryBoundary(jobId: string): number {
    let boundary = Number.NEGATIVE_INFINITY;
    const runs = this.runsOf(jobId);
    for (const retry of this.retries.get(jobId) ?? []) {
      const ranAfter = runs.some((run) => run.start.getTime() > retry.start);
      if (retry.appliedAt !== undefined || (retry.doubtful && ranAfter)) boundary = Math.max(boundary, retry.start);
    }
    return boundary;
  }

  /** The job's runs since its last retry (see {@link retryBoundary}). */
  runsSinceRetry(jobId: string): LedgerRun[] {
    const boundary = this.retryBoundary(jobId);
    return this.runsOf(jobId).filter((run) => run.start.getTime() > boundary);
  }
}
