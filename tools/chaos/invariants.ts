/**
 * The invariants a chaos run checks once everything is quiet, from the jobs collection, the ledger
 * of handler runs and what the orchestrator saw (incarnations, lock refreshes reaching the server).
 * Each check returns its counts and the first few offending jobs, so a failure says which job and why.
 */
import type { ObjectId } from 'mongodb';
import type { Incarnation } from './instances.js';
import { type ChaosJobData, ENGINE, type LedgerRun, SCHEDULES, WORKERS } from './settings.js';

/** A job document as the checker reads it. */
export interface JobRecord {
  _id: ObjectId;
  name: string;
  data: ChaosJobData;
  status: string;
  failCount?: number;
  uniqueKey?: string;
  owner?: string;
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
}

/** The result of one invariant. */
export interface CheckResult {
  readonly title: string;
  readonly pass: boolean;
  /** Counts, one line. */
  readonly summary: string;
  /** The first offending cases. */
  readonly examples: readonly string[];
  /** Further counts that do not fail the check (e.g. excused overlaps). */
  readonly note?: string;
}

/** Everything the checker reads. */
export interface RunRecord {
  readonly jobs: readonly JobRecord[];
  /** The ids the orchestrator enqueued (one-off jobs). */
  readonly enqueued: readonly ObjectId[];
  readonly runs: readonly LedgerRun[];
  readonly incarnations: readonly Incarnation[];
  readonly refreshes: readonly LockRefresh[];
  readonly recoveries: readonly Recovery[];
}

const MAX_EXAMPLES = 5;
const id = (value: unknown): string => String(value);

function describeJob(job: JobRecord, runs: readonly LedgerRun[]): string {
  const data = job.data;
  const kind = data.kind === 'failing' ? `failing x${data.failTimes}` : data.kind;
  const ok = runs.filter((run) => run.outcome === 'ok').length;
  const threw = runs.filter((run) => run.outcome === 'threw').length;
  const unfinished = runs.length - ok - threw;
  return `${id(job._id)} (${kind}): ${job.status}, failCount ${job.failCount ?? 0}; runs: ${ok} ok, ${threw} threw, ${unfinished} cut off`;
}

function result(title: string, failures: string[], summary: string, note?: string): CheckResult {
  return {
    title,
    pass: failures.length === 0,
    summary,
    examples: failures.slice(0, MAX_EXAMPLES),
    ...(note ? { note } : {}),
  };
}

/** Runs every check. */
export function checkInvariants(record: RunRecord): CheckResult[] {
  const runsByJob = new Map<string, LedgerRun[]>();
  for (const run of record.runs) {
    const list = runsByJob.get(id(run.jobId)) ?? [];
    list.push(run);
    runsByJob.set(id(run.jobId), list);
  }
  const runsOf = (job: JobRecord): LedgerRun[] => runsByJob.get(id(job._id)) ?? [];
  const killedClaims = killedBeforeStart(record, runsOf);
  const oneOff = record.jobs.filter((job) => job.name !== WORKERS.recurring.name);
  return [
    endsAsHandlerBehaved(record, oneOff, runsOf, killedClaims),
    nothingLeftProcessing(record.jobs, runsOf),
    noOverlappingRuns(record, runsOf),
    noFailureWithoutStart(record.jobs, runsOf, killedClaims, (jobId) =>
      record.recoveries.filter((recovery) => recovery.jobId === jobId),
    ),
    schedulesStaySingle(record.jobs),
    nothingRunsAfterStop(record),
    instancesExitWhenTold(record.incarnations),
  ];
}

/**
 * Per job id, how many of its claims died with their instance before the handler was entered: the
 * recovery found the job owned by an incarnation SIGKILLed by the plan within `lockTimeout` of the
 * claim (its `lockedAt`, corrected for the owner's clock skew), with no cut-off run of the job.
 * Recovery charges such a claim a failure, and must: it cannot tell it from a handler that crashes
 * its process at once (a poison job), so these charges are excused. A claim older than that is not:
 * a live instance must settle a claim whose reply it lost well within `lockTimeout`.
 */
function killedBeforeStart(record: RunRecord, runsOf: (job: JobRecord) => LedgerRun[]): Map<string, number> {
  const killed = new Map(record.incarnations.filter((i) => i.exit === 'killed').map((i) => [i.instanceId, i]));
  const jobsById = new Map(record.jobs.map((job) => [id(job._id), job]));
  const counts = new Map<string, number>();
  for (const recovery of record.recoveries) {
    const job = jobsById.get(recovery.jobId);
    const owner = killed.get(recovery.owner);
    if (!job || !owner || recovery.lockedAt === null || owner.exitedAt === undefined) continue;
    const claimedAt = recovery.lockedAt - owner.skewMs;
    if (owner.exitedAt - claimedAt > ENGINE.lockTimeout) continue;
    const cutOff = runsOf(job).some((run) => run.instanceId === recovery.owner && run.end === undefined);
    if (!cutOff) counts.set(recovery.jobId, (counts.get(recovery.jobId) ?? 0) + 1);
  }
  return counts;
}

/**
 * A successful run whose success could not be stored: the job was later recovered from the run's
 * own instance (a recovery finds a job still `processing` under that instance's lock, so the
 * outcome never landed). That happens only when the instance was cut off for longer than
 * `lockTimeout` (invariant 3 checks no recovery comes early), and the recovery counts it as an attempt.
 */
function lostToLockExpiry(
  run: LedgerRun,
  recoveries: readonly Recovery[],
  skewOf: (instanceId: string) => number,
): boolean {
  if (run.outcome !== 'ok' || !run.end) return false;
  const start = run.start.getTime();
  const end = run.end.getTime();
  return recoveries.some((recovery) => {
    if (recovery.owner !== run.instanceId || recovery.lockedAt === null) return false;
    // The lock the recovery saw was taken or renewed during this run (on real time).
    const lockedAt = recovery.lockedAt - skewOf(run.instanceId);
    return lockedAt >= start - ENGINE.lockTimeout && lockedAt <= end;
  });
}

/**
 * 1. completed ⇔ a run succeeded; failed ⇔ at least maxRetries unsuccessful attempts (runs that
 * threw or were cut off, successes lost to a lock expiry, plus claims killed before the handler
 * started) and no success that was stored; nothing unfinished or missing.
 */
function endsAsHandlerBehaved(
  record: RunRecord,
  oneOff: readonly JobRecord[],
  runsOf: (job: JobRecord) => LedgerRun[],
  killedClaims: ReadonlyMap<string, number>,
): CheckResult {
  const failures: string[] = [];
  let lostSuccesses = 0;
  const skews = new Map(record.incarnations.map((incarnation) => [incarnation.instanceId, incarnation.skewMs]));
  const skewOf = (instanceId: string): number => skews.get(instanceId) ?? 0;
  const found = new Set(oneOff.map((job) => id(job._id)));
  const missing = record.enqueued.filter((jobId) => !found.has(id(jobId)));
  for (const jobId of missing) failures.push(`${id(jobId)}: enqueued, but no longer in the collection`);
  let completed = 0;
  let failed = 0;
  for (const job of oneOff) {
    const runs = runsOf(job);
    const recoveries = record.recoveries.filter((recovery) => recovery.jobId === id(job._id));
    const lost = runs.filter((run) => lostToLockExpiry(run, recoveries, skewOf)).length;
    const succeeded = runs.some((run) => run.outcome === 'ok' && !lostToLockExpiry(run, recoveries, skewOf));
    const unsuccessful =
      runs.filter((run) => run.outcome !== 'ok').length + lost + (killedClaims.get(id(job._id)) ?? 0);
    if (job.status === 'failed') lostSuccesses += lost;
    if (job.status === 'completed') {
      completed += 1;
      if (!succeeded) failures.push(`${describeJob(job, runs)}: completed although no run succeeded`);
    } else if (job.status === 'failed') {
      failed += 1;
      if (succeeded) failures.push(`${describeJob(job, runs)}: failed although a run succeeded`);
      else if (unsuccessful < ENGINE.maxRetries)
        failures.push(
          `${describeJob(job, runs)}: failed after ${unsuccessful} unsuccessful attempts (maxRetries ${ENGINE.maxRetries})`,
        );
    } else {
      failures.push(`${describeJob(job, runs)}: not finished`);
    }
  }
  return result(
    '1. every one-off job ends as its handler behaved',
    failures,
    `${oneOff.length - failures.length + missing.length}/${record.enqueued.length} as expected (${completed} completed, ${failed} failed, ${oneOff.length - completed - failed} unfinished, ${missing.length} missing)`,
    `${lostSuccesses} successful runs of failed jobs could not be stored because their instance was cut off for longer than lockTimeout (the job was recovered from it, counted as an attempt): excused`,
  );
}

/** 2. no job is left `processing`. */
function nothingLeftProcessing(jobs: readonly JobRecord[], runsOf: (job: JobRecord) => LedgerRun[]): CheckResult {
  const processing = jobs.filter((job) => job.status === 'processing');
  return result(
    '2. no job is left processing',
    processing.map((job) => `${describeJob(job, runsOf(job))}, owner ${job.owner ?? '-'}`),
    `${processing.length} processing of ${jobs.length} jobs`,
  );
}

/**
 * The longest time the lock of `first`'s job went without a refresh from `first`'s instance slot,
 * from the claim (the last claim forwarded before the run started that may have taken the job) to
 * `until`. At least `lockTimeout` means the lock genuinely expired, whatever the clocks said.
 */
function longestLockLapse(refreshes: readonly LockRefresh[], jobId: string, first: LedgerRun, until: number): number {
  const covers = (refresh: LockRefresh): boolean => refresh.jobIds === null || refresh.jobIds.includes(jobId);
  const started = first.start.getTime();
  let last = started;
  for (const refresh of refreshes)
    if (refresh.kind === 'claim' && refresh.at <= started && covers(refresh)) last = refresh.at;
  let longest = 0;
  for (const refresh of refreshes) {
    if (refresh.kind !== 'renewal' || refresh.at <= last || refresh.at > until || !covers(refresh)) continue;
    longest = Math.max(longest, refresh.at - last);
    last = refresh.at;
  }
  return Math.max(longest, until - last);
}

/** 3. no two runs of one job overlap, unless the first run's instance lost its lock for real. */
function noOverlappingRuns(record: RunRecord, runsOf: (job: JobRecord) => LedgerRun[]): CheckResult {
  const incarnationOf = new Map(record.incarnations.map((incarnation) => [incarnation.instanceId, incarnation]));
  const endOf = (run: LedgerRun): number =>
    run.end?.getTime() ?? incarnationOf.get(run.instanceId)?.exitedAt ?? Number.POSITIVE_INFINITY;
  const bySlot = new Map<number, LockRefresh[]>();
  for (const refresh of [...record.refreshes].sort((a, b) => a.at - b.at)) {
    bySlot.set(refresh.slot, [...(bySlot.get(refresh.slot) ?? []), refresh]);
  }
  const refreshesOf = (slot: number): LockRefresh[] => bySlot.get(slot) ?? [];
  const failures: string[] = [];
  let excused = 0;
  let pairs = 0;
  for (const job of record.jobs) {
    const runs = [...runsOf(job)].sort((a, b) => a.start.getTime() - b.start.getTime());
    for (let i = 0; i < runs.length; i += 1) {
      for (let j = i + 1; j < runs.length; j += 1) {
        const first = runs[i] as LedgerRun;
        const second = runs[j] as LedgerRun;
        if (second.start.getTime() >= endOf(first)) continue;
        pairs += 1;
        const slot = incarnationOf.get(first.instanceId)?.slot ?? -1;
        const lapse = longestLockLapse(refreshesOf(slot), id(job._id), first, second.start.getTime());
        if (lapse >= ENGINE.lockTimeout) {
          excused += 1;
          continue;
        }
        const overlapMs = Math.min(endOf(first), endOf(second)) - second.start.getTime();
        failures.push(
          `${describeJob(job, runs)}: ${first.instanceId} and ${second.instanceId} ran it at once for ${Number.isFinite(overlapMs) ? `${overlapMs} ms` : 'ever'}`,
        );
      }
    }
  }
  return result(
    '3. no two runs of one job overlap',
    failures,
    `${failures.length} overlapping pairs of ${record.runs.length} runs`,
    `${excused} of ${pairs} overlaps followed a genuine lock expiry (no claim or renewal of the job from the first run's instance reached the server for >= lockTimeout = ${ENGINE.lockTimeout} ms): excused`,
  );
}

/**
 * 4. a job's failCount never exceeds its runs that started (less the final successful one of a
 * completed job), plus its claims killed before the handler started (see {@link killedBeforeStart}).
 */
function noFailureWithoutStart(
  jobs: readonly JobRecord[],
  runsOf: (job: JobRecord) => LedgerRun[],
  killedClaims: ReadonlyMap<string, number>,
  recoveriesOf: (jobId: string) => readonly Recovery[],
): CheckResult {
  const failures: string[] = [];
  let charged = 0;
  let excused = 0;
  for (const job of jobs) {
    const runs = runsOf(job);
    const failCount = job.failCount ?? 0;
    charged += failCount;
    const started = runs.length - (job.status === 'completed' ? 1 : 0);
    const killed = killedClaims.get(id(job._id)) ?? 0;
    excused += Math.min(killed, Math.max(0, failCount - started));
    if (failCount > started + killed) {
      const owners = recoveriesOf(id(job._id)).map((recovery) => recovery.owner);
      const recovered = owners.length === 0 ? '' : `; recovered from ${owners.join(', ')}`;
      failures.push(
        `${describeJob(job, runs)}: ${failCount - started - killed} failure(s) charged without a run${recovered}`,
      );
    }
  }
  return result(
    '4. no failure is charged for a run that never started',
    failures,
    `${failures.length} jobs charged more failures than runs started (${charged} failures charged in all)`,
    `${excused} charges were for claims whose instance was SIGKILLed before the handler started: excused (indistinguishable from a crash at start)`,
  );
}

/** 5. each schedule is one document. */
function schedulesStaySingle(jobs: readonly JobRecord[]): CheckResult {
  const failures: string[] = [];
  const counts = SCHEDULES.map((schedule) => {
    const docs = jobs.filter((job) => job.name === WORKERS.recurring.name && job.uniqueKey === schedule.uniqueKey);
    if (docs.length !== 1) failures.push(`schedule '${schedule.uniqueKey}': ${docs.length} documents`);
    return `${schedule.uniqueKey}: ${docs.length}`;
  });
  return result(
    '5. each schedule stays a single job document',
    failures,
    `documents per schedule: ${counts.join(', ')}`,
  );
}

/** 6. no handler starts, or is still running, after its instance's stop() resolved. */
function nothingRunsAfterStop(record: RunRecord): CheckResult {
  const byId = new Map(record.incarnations.map((incarnation) => [incarnation.instanceId, incarnation]));
  const failures: string[] = [];
  for (const run of record.runs) {
    const stoppedAt = byId.get(run.instanceId)?.stoppedAt;
    if (stoppedAt === undefined) continue;
    if (run.start.getTime() > stoppedAt)
      failures.push(
        `run of ${id(run.jobId)} on ${run.instanceId} started ${run.start.getTime() - stoppedAt} ms after stop() resolved`,
      );
    else if (!run.end || run.end.getTime() > stoppedAt)
      failures.push(`run of ${id(run.jobId)} on ${run.instanceId} was still running when stop() resolved`);
  }
  const stopped = record.incarnations.filter((incarnation) => incarnation.stoppedAt !== undefined).length;
  return result(
    '6. nothing runs after stop() resolved',
    failures,
    `${failures.length} runs after stop() in ${stopped} stopped instances`,
  );
}

/** 7. an instance process exits only when killed by the plan or after stop() (within shutdownTimeout). */
function instancesExitWhenTold(incarnations: readonly Incarnation[]): CheckResult {
  const failures = incarnations
    .filter((incarnation) => incarnation.exit === 'crashed' || incarnation.exit === 'killed-after-stop-timeout')
    .map((incarnation) =>
      incarnation.exit === 'crashed'
        ? `${incarnation.instanceId} exited on its own (${incarnation.exitDetail ?? '?'})`
        : `${incarnation.instanceId}: stop() did not finish within shutdownTimeout + 5 s; killed`,
    );
  return result(
    '7. instances exit only when told to',
    failures,
    `${incarnations.length} processes, ${incarnations.filter((incarnation) => incarnation.exit === 'killed').length} killed by the plan, ${failures.length} crashed or hung`,
  );
}
