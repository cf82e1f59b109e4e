/**
 * Hand-made records of chaos runs, for the tests of the invariant checker: jobs, runs, processes,
 * lock refreshes and calls, built around one instant `T`, and `check()` returning each invariant's
 * result by number.
 */
import { ObjectId } from 'mongodb';
import type { Incarnation } from '../../chaos/instances.js';
import {
  type CheckResult,
  checkInvariants,
  type JobRecord,
  type LockRefresh,
  type RunRecord,
} from '../../chaos/invariants.js';
import type { CallRecord } from '../../chaos/messages.js';
import type { ChaosJobData, LedgerRun } from '../../chaos/settings.js';

export const T = 1_700_000_000_000;
export const at = (ms: number): Date => new Date(T + ms);

let jobNumber = 0;
export function job(
  kind: ChaosJobData['kind'],
  status: string,
  failCount = 0,
  extra: Partial<JobRecord> = {},
): JobRecord {
  jobNumber += 1;
  return {
    _id: new ObjectId(),
    name: kind === 'recurring' ? 'chaos.recurring' : `chaos.${kind}`,
    data: { kind, ms: 10, ...(kind === 'recurring' ? {} : { ref: `w0.${jobNumber}.1` }) },
    status,
    failCount,
    ...extra,
  };
}
/** A completed job whose result names `runId`. */
export const completed = (kind: ChaosJobData['kind'], runId: string, failCount = 0): JobRecord =>
  job(kind, 'completed', failCount, { result: { run: runId } });

let runNumber = 0;
export function run(
  of: JobRecord,
  instanceId: string,
  start: number,
  end?: number,
  outcome?: 'ok' | 'threw',
  id?: string,
): LedgerRun {
  runNumber += 1;
  return {
    _id: id ?? `run-${runNumber}`,
    jobId: of._id as ObjectId,
    name: of.name,
    instanceId,
    pid: 1,
    ...(of.data.ref === undefined ? {} : { ref: of.data.ref }),
    start: at(start),
    claimedAt: at(start - 5),
    ...(end === undefined ? {} : { end: at(end), outcome: outcome ?? 'ok' }),
  };
}

export function incarnation(slot: number, instanceId: string, extra: Partial<Incarnation> = {}): Incarnation {
  return { slot, instanceId, ledger: `ledger_${instanceId}`, skewMs: 0, pid: 1, exit: 'stopped', stalls: [], ...extra };
}

export function call(
  method: CallRecord['method'],
  start: number,
  end: number,
  fields: Partial<CallRecord> = {},
): CallRecord {
  return { client: 'op', method, action: 'a1', start: T + start, end: T + end, ...fields };
}

/** The resolved enqueue call that wrote `of`. */
export function enqueued(of: JobRecord): CallRecord {
  const ref = of.data.ref as string;
  return {
    ...call('enqueue', -1_000, -990, { ref, returned: String(of._id) }),
    client: 'p0',
    action: ref.slice(0, -2),
  };
}

export const schedules = [
  job('recurring', 'pending', 0, { uniqueKey: 'a' }),
  job('recurring', 'pending', 0, { uniqueKey: 'b' }),
];
export const instances = [
  incarnation(0, 'A', { stoppedAt: T + 100_000 }),
  incarnation(1, 'B', { stoppedAt: T + 100_000 }),
];
export const claim = (slot = 0): LockRefresh => ({ slot, at: T - 5, kind: 'claim', jobIds: null });
export const renewals = (slot: number, times: number[], jobIds: string[] | null = null): LockRefresh[] =>
  times.map((ms) => ({ slot, at: T + ms, kind: 'renewal', jobIds }));

/** Checks a record holding `parts` (every one-off job enqueued by a resolved call unless `calls` says otherwise). */
export function check(
  parts: Partial<RunRecord> & { jobs: JobRecord[] },
  options: { enqueue?: boolean } = {},
): Record<number, CheckResult> {
  const oneOff = parts.jobs.filter((candidate) => candidate.name !== 'chaos.recurring');
  const record: RunRecord = {
    runs: [],
    incarnations: instances,
    clients: [],
    refreshes: [],
    recoveries: [],
    sends: [],
    shutdowns: [],
    partitions: [],
    orphans: [],
    stalls: [],
    ...parts,
    calls: [...(options.enqueue === false ? [] : oneOff.map(enqueued)), ...(parts.calls ?? [])],
    jobs: [...parts.jobs, ...schedules],
  };
  return Object.fromEntries(checkInvariants(record).map((result) => [Number(result.title.split('.')[0]), result]));
}
export const failing = (results: Record<number, CheckResult>): number[] =>
  Object.entries(results)
    .filter(([, result]) => !result.pass)
    .map(([n]) => Number(n));
export const text = (result: CheckResult | undefined): string => [...(result?.examples ?? [])].join('\n');
