/**
 * The chaos run's invariant checker (tools/chaos/invariants.ts) on hand-made records: each check
 * must fail on the fault it is meant to catch, and pass, or excuse with its evidence, what is
 * legitimate. An excuse needs proof (a partition, a stall or a death that kept the instance from
 * renewing its lock; a kill right after a handler returned); without it, the same case fails.
 */
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { ClientExit } from '../../chaos/clients.js';
import { saysMayBeApplied } from '../../chaos/evidence.js';
import type { Incarnation } from '../../chaos/instances.js';
import {
  type CheckResult,
  checkInvariants,
  type JobRecord,
  type LockRefresh,
  MAX_EXCUSING_FAULTS,
  type RunRecord,
} from '../../chaos/invariants.js';
import type { CallRecord, SentCommand } from '../../chaos/messages.js';
import type { ChaosJobData, LedgerRun } from '../../chaos/settings.js';

const T = 1_700_000_000_000;
const at = (ms: number): Date => new Date(T + ms);

let jobNumber = 0;
function job(kind: ChaosJobData['kind'], status: string, failCount = 0, extra: Partial<JobRecord> = {}): JobRecord {
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
const completed = (kind: ChaosJobData['kind'], runId: string, failCount = 0): JobRecord =>
  job(kind, 'completed', failCount, { result: { run: runId } });

let runNumber = 0;
function run(
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

function incarnation(slot: number, instanceId: string, extra: Partial<Incarnation> = {}): Incarnation {
  return { slot, instanceId, ledger: `ledger_${instanceId}`, skewMs: 0, pid: 1, exit: 'stopped', stalls: [], ...extra };
}

function call(method: CallRecord['method'], start: number, end: number, fields: Partial<CallRecord> = {}): CallRecord {
  return { client: 'op', method, action: 'a1', start: T + start, end: T + end, ...fields };
}

/** The resolved enqueue call that wrote `of`. */
function enqueued(of: JobRecord): CallRecord {
  const ref = of.data.ref as string;
  return {
    ...call('enqueue', -1_000, -990, { ref, returned: String(of._id) }),
    client: 'p0',
    action: ref.slice(0, -2),
  };
}

const schedules = [
  job('recurring', 'pending', 0, { uniqueKey: 'a' }),
  job('recurring', 'pending', 0, { uniqueKey: 'b' }),
];
const instances = [incarnation(0, 'A', { stoppedAt: T + 100_000 }), incarnation(1, 'B', { stoppedAt: T + 100_000 })];
const claim = (slot = 0): LockRefresh => ({ slot, at: T - 5, kind: 'claim', jobIds: null });
const renewals = (slot: number, times: number[], jobIds: string[] | null = null): LockRefresh[] =>
  times.map((ms) => ({ slot, at: T + ms, kind: 'renewal', jobIds }));

/** Checks a record holding `parts` (every one-off job enqueued by a resolved call unless `calls` says otherwise). */
function check(
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
    ...parts,
    calls: [...(options.enqueue === false ? [] : oneOff.map(enqueued)), ...(parts.calls ?? [])],
    jobs: [...parts.jobs, ...schedules],
  };
  return Object.fromEntries(checkInvariants(record).map((result) => [Number(result.title.split('.')[0]), result]));
}
const failing = (results: Record<number, CheckResult>): number[] =>
  Object.entries(results)
    .filter(([, result]) => !result.pass)
    .map(([n]) => Number(n));
const text = (result: CheckResult | undefined): string => [...(result?.examples ?? [])].join('\n');

describe('chaos invariants', () => {
  it('pass on a clean run', () => {
    const fast = completed('fast', 'f1');
    const flaky = completed('failing', 'g2', 1);
    const always = job('always-failing', 'failed', 2);
    const results = check({
      jobs: [fast, flaky, always],
      runs: [
        run(fast, 'A', 0, 10, 'ok', 'f1'),
        run(flaky, 'A', 0, 10, 'threw'),
        run(flaky, 'B', 20, 30, 'ok', 'g2'),
        run(always, 'A', 0, 10, 'threw'),
        run(always, 'B', 20, 30, 'threw'),
      ],
    });
    expect(failing(results)).toEqual([]);
  });

  describe('1: every one-off job ends as its handler behaved, with its result stored', () => {
    it('fails a job completed without a run that succeeded, or without its result stored', () => {
      const noSuccess = completed('always-failing', 'r1');
      const noResult = job('fast', 'completed');
      const otherResult = completed('fast', 'not-a-run');
      const results = check({
        jobs: [noSuccess, noResult, otherResult],
        runs: [run(noSuccess, 'A', 0, 10, 'threw', 'r1'), run(noResult, 'A', 0, 10), run(otherResult, 'A', 0, 10)],
      });
      expect(text(results[1])).toMatch(/completed with the result of no successful run \(r1\)/);
      expect(text(results[1])).toMatch(/completed without a stored result/);
      expect(text(results[1])).toMatch(/completed with the result of no successful run \(not-a-run\)/);
    });

    it('fails a job failed too soon, unfinished, cancelled by no one, or charged beyond its policy', () => {
      const tooSoon = job('failing', 'failed', 3);
      const unfinished = job('fast', 'pending');
      const cancelled = job('fast', 'cancelled');
      // The always-failing worker allows 2 failures: a third means another policy was applied.
      const overCharged = job('always-failing', 'failed', 3);
      const results = check({
        jobs: [tooSoon, unfinished, cancelled, overCharged],
        runs: [
          run(tooSoon, 'A', 0, 10, 'threw'),
          run(tooSoon, 'A', 20, 30, 'threw'),
          ...[0, 20, 40].map((ms) => run(overCharged, 'B', ms, ms + 10, 'threw')),
        ],
      });
      expect(text(results[1])).toMatch(/failed after 2 unsuccessful attempts \(maxRetries 3\)/);
      expect(text(results[1])).toMatch(/not finished/);
      expect(text(results[1])).toMatch(/cancelled, but the operator never cancelled it/);
      expect(text(results[1])).toMatch(/charged 3 failures, more than its worker's maxRetries 2/);
      const byOperator = job('fast', 'cancelled');
      const cancel = call('cancelJob', 0, 10, { jobId: String(byOperator._id), returned: 'cancelled' });
      expect(check({ jobs: [byOperator], calls: [cancel] })[1]?.pass).toBe(true);
    });

    it('fails a failed job whose success was lost while its instance could reach the server', () => {
      // Three attempts; the second succeeded on B at 2.5 s, and B's lock was recovered.
      const unlucky = job('slow', 'failed', 3);
      const runs = [
        run(unlucky, 'A', 0, 10, 'threw'),
        run(unlucky, 'B', 20, 2_500),
        run(unlucky, 'A', 9_000, 9_010, 'threw'),
      ];
      const recoveries = [{ jobId: String(unlucky._id), owner: 'B', lockedAt: T + 15, at: T + 6_000 }];
      // B's lock was never renewed (no renewal reached the server) while B could reach it.
      const reachable = check({ jobs: [unlucky], runs, recoveries, refreshes: [claim(1)] });
      expect(reachable[1]?.pass).toBe(false);
      expect(text(reachable[1])).toMatch(
        /failed although run run-\d+ on B succeeded at .* its result was never stored/,
      );
      // Partitioned from 0.1 s to 3.9 s: its lock expired before the handler returned (3.9 s): excused.
      const excusedCase = check({
        jobs: [unlucky],
        runs: [runs[0] as LedgerRun, run(unlucky, 'B', 20, 3_900), runs[2] as LedgerRun],
        recoveries,
        refreshes: [claim(1)],
        partitions: [{ slot: 1, from: T + 100, to: T + 3_900 }],
      });
      expect(excusedCase[1]?.pass).toBe(true);
      expect(excusedCase[1]?.excuses).toEqual([
        {
          jobId: String(unlucky._id),
          cause: expect.stringMatching(/^partition of i1 at /),
          why: expect.stringMatching(/lock expired before the handler returned/),
        },
      ]);
      // Cut off AFTER the handler returned (partitioned from 2.6 s): never excused.
      const afterReturn = check({
        jobs: [unlucky],
        runs,
        recoveries,
        refreshes: [claim(1), ...renewals(1, [700, 1_400, 2_100])],
        partitions: [{ slot: 1, from: T + 2_600, to: T + 6_600 }],
      });
      expect(text(afterReturn[1])).toMatch(/failed although run .* on B succeeded/);
      // A lapse before the return, but no recovery took the job: the result should have been stored.
      const notRecovered = check({
        jobs: [unlucky],
        runs: [runs[0] as LedgerRun, run(unlucky, 'B', 20, 3_900), runs[2] as LedgerRun],
        refreshes: [claim(1)],
        partitions: [{ slot: 1, from: T + 100, to: T + 3_900 }],
      });
      expect(notRecovered[1]?.pass).toBe(false);
    });

    it('excuses a success lost to a SIGKILL right after the handler returned, not one killed much later', () => {
      const unlucky = job('fast', 'failed', 3);
      const runs = [
        run(unlucky, 'A', 0, 10, 'threw'),
        run(unlucky, 'K', 20, 30),
        run(unlucky, 'A', 9_000, 9_010, 'threw'),
      ];
      const killedSoon = incarnation(1, 'K', { exit: 'killed', exitedAt: T + 230 });
      const soon = check({ jobs: [unlucky], runs, incarnations: [...instances, killedSoon] });
      expect(soon[1]?.pass).toBe(true);
      expect(soon[1]?.excuses[0]?.why).toMatch(/SIGKILLed 200 ms later, before its outcome could be written/);
      const killedLate = incarnation(1, 'K', { exit: 'killed', exitedAt: T + 3_030 });
      expect(check({ jobs: [unlucky], runs, incarnations: [...instances, killedLate] })[1]?.pass).toBe(false);
    });

    it('counts the attempts of a retried job from the operator’s retry on', () => {
      const retried = job('always-failing', 'failed', 2);
      const before = [run(retried, 'A', 0, 10, 'threw'), run(retried, 'A', 100, 110, 'threw')];
      const retry = call('retryJobs', 200, 210, { jobId: String(retried._id), returned: 1 });
      const once = check({ jobs: [retried], runs: [...before, run(retried, 'B', 300, 310, 'threw')], calls: [retry] });
      expect(text(once[1])).toMatch(/failed after 1 unsuccessful attempts \(maxRetries 2\)/);
      const twice = check({
        jobs: [retried],
        runs: [...before, run(retried, 'B', 300, 310, 'threw'), run(retried, 'B', 400, 410, 'threw')],
        calls: [retry],
      });
      expect(failing(twice)).toEqual([]);
      // A retry that failed in doubt took effect only if the job ran again after it.
      const doubtful = call('retryJobs', 200, 210, {
        jobId: String(retried._id),
        error: 'ConnectionError: read ECONNRESET',
      });
      expect(failing(check({ jobs: [retried], runs: before, calls: [doubtful] }))).toEqual([]);
    });
  });

  it('2: no job may be left processing', () => {
    const stuck = job('fast', 'processing', 0, { owner: 'A' });
    expect(check({ jobs: [stuck] })[2]).toMatchObject({ pass: false, summary: expect.stringMatching(/^1 processing/) });
  });

  describe('3: a job runs again only after a genuine lock expiry', () => {
    const slow = completed('slow', 'second');
    const jobId = String(slow._id);
    const runs = [run(slow, 'A', 0, 6_000), run(slow, 'B', 4_500, 7_000, 'ok', 'second')];

    it('fails overlapping runs while the first run’s lock was renewed, or could have been', () => {
      const healthy = check({
        jobs: [slow],
        runs,
        refreshes: [claim(), ...renewals(0, [700, 1_400, 2_100, 2_800, 3_500, 4_200])],
      });
      expect(healthy[3]?.pass).toBe(false);
      expect(text(healthy[3])).toMatch(/A and B ran it at once/);
      // A gap of 2 s is not enough.
      expect(check({ jobs: [slow], runs, refreshes: [claim(), ...renewals(0, [700, 2_700, 4_400])] })[3]?.pass).toBe(
        false,
      );
      // No renewal from 1.4 s on, but nothing kept A from renewing: the engine let it lapse.
      const lapsed = check({ jobs: [slow], runs, refreshes: [claim(), ...renewals(0, [700, 1_400])] });
      expect(text(lapsed[3])).toMatch(/unrenewed from .* although its instance could reach the server/);
    });

    it('excuses an overlap after a lapse forced by a partition, a stall or a death, with its evidence', () => {
      const refreshes = [claim(), ...renewals(0, [700, 1_400, 4_450])];
      const partitioned = check({
        jobs: [slow],
        runs,
        refreshes,
        partitions: [{ slot: 0, from: T + 1_500, to: T + 4_300 }],
      });
      expect(partitioned[3]?.pass).toBe(true);
      expect(partitioned[3]?.excuses).toEqual([
        {
          jobId,
          cause: expect.stringMatching(/^partition of i0/),
          why: expect.stringMatching(/a genuine lock expiry/),
        },
      ]);
      const stalled = incarnation(0, 'A', { stoppedAt: T + 100_000, stalls: [{ from: T + 1_600, to: T + 4_000 }] });
      expect(
        check({ jobs: [slow], runs, refreshes, incarnations: [stalled, instances[1] as Incarnation] })[3]?.pass,
      ).toBe(true);
      // Renewals that name other jobs, or come from another slot, do not keep this lock.
      const others = [claim(), ...renewals(0, [700, 1_400, 2_100, 2_800, 3_500, 4_200], ['other'])];
      const partition = [{ slot: 0, from: T + 500, to: T + 4_300 }];
      expect(check({ jobs: [slow], runs, refreshes: others, partitions: partition })[3]?.pass).toBe(true);
      const otherSlot = [claim(), ...renewals(1, [700, 1_400, 2_100, 2_800, 3_500, 4_200])];
      expect(check({ jobs: [slow], runs, refreshes: otherSlot, partitions: partition })[3]?.pass).toBe(true);
    });

    it('a run cut off by a kill ends when its process exited; after it, the lock lapses', () => {
      const killed = incarnation(0, 'A0', { exit: 'killed', exitedAt: T + 1_000 });
      const cutOff = [run(slow, 'A0', 0), run(slow, 'B', 4_500, 6_000, 'ok', 'second')];
      expect(check({ jobs: [slow], runs: cutOff, incarnations: [...instances, killed] })[3]?.pass).toBe(true);
      // Alive and renewing its lock until it stopped at 9 s: the second run overlapped it.
      const stillAlive = incarnation(0, 'A0', { exit: 'stopped', exitedAt: T + 9_000, stoppedAt: T + 8_000 });
      const refreshes = renewals(
        0,
        [0, 1, 2, 3, 4, 5, 6, 7, 8].map((s) => s * 1_000),
      );
      expect(check({ jobs: [slow], runs: cutOff, refreshes, incarnations: [...instances, stillAlive] })[3]?.pass).toBe(
        false,
      );
    });

    it('fails a run of a job after a successful run that held its lock; excuses one after a forced lapse', () => {
      const again = completed('fast', 'later');
      const sequential = [run(again, 'A', 0, 100), run(again, 'B', 5_000, 5_010, 'ok', 'later')];
      const held = check({
        jobs: [again],
        runs: sequential,
        refreshes: [claim(), ...renewals(0, [700, 1_400, 2_100, 2_800, 3_500, 4_200])],
      });
      expect(text(held[3])).toMatch(/started at .* after run .* on A had succeeded/);
      const cutOff = check({
        jobs: [again],
        runs: sequential,
        refreshes: [claim()],
        partitions: [{ slot: 0, from: T + 150, to: T + 4_900 }],
      });
      expect(cutOff[3]?.pass).toBe(true);
      expect(cutOff[3]?.excuses).toHaveLength(1);
    });

    it('a later process of the same slot does not renew the lock of a run whose process died', () => {
      const again = completed('fast', 'later');
      const killed = incarnation(0, 'A0', { exit: 'killed', exitedAt: T + 1_000 });
      const next = incarnation(0, 'A1', { stoppedAt: T + 100_000 });
      const runs = [run(again, 'A0', 0, 900), run(again, 'B', 5_000, 5_010, 'ok', 'later')];
      const refreshes = [claim(), ...renewals(0, [700, 2_000, 3_000, 4_000])];
      const results = check({ jobs: [again], runs, refreshes, incarnations: [...instances, killed, next] });
      expect(results[3]?.pass).toBe(true);
      expect(results[3]?.excuses[0]?.cause).toBe('exit of A0 (killed)');
    });

    it('lets a run given back at stop()’s deadline work on until its process exits', () => {
      const stopped = incarnation(0, 'A1', { exit: 'stopped', stoppedAt: T + 2_100, exitedAt: T + 2_300 });
      const givenBack = [run(slow, 'A1', 0), run(slow, 'B', 2_200, 4_000, 'ok', 'second')];
      const refreshes = [claim(), ...renewals(0, [700, 1_400])];
      const shutdowns = [{ instanceId: 'A1', at: T + 2_050, jobIds: [jobId] }];
      const results = check({
        jobs: [slow],
        runs: givenBack,
        refreshes,
        incarnations: [...instances, stopped],
        shutdowns,
      });
      expect(results[3]?.pass).toBe(true);
      expect(results[6]?.pass).toBe(true);
      expect(results[6]?.note).toMatch(/^1 runs were still working at stop\(\)'s deadline/);
      // The same without the report: a run still going when stop() resolved, and an overlap.
      const unreported = check({ jobs: [slow], runs: givenBack, refreshes, incarnations: [...instances, stopped] });
      expect(text(unreported[6])).toMatch(/still running when stop\(\) resolved, unreported/);
      expect(unreported[3]?.pass).toBe(false);
    });
    it('lets a job given back at stop()’s deadline run again after its handler succeeded anyway', () => {
      const stubborn = job('slow', 'failed', 3);
      const id = String(stubborn._id);
      const stopped = incarnation(0, 'A1', { exit: 'stopped', stoppedAt: T + 2_100, exitedAt: T + 2_300 });
      const runs = [
        run(stubborn, 'A', -500, -400, 'threw'),
        run(stubborn, 'A1', 0, 2_150),
        run(stubborn, 'B', 2_400, 2_500, 'threw'),
        run(stubborn, 'B', 3_000, 3_100, 'threw'),
      ];
      const refreshes = [claim(), ...renewals(0, [700, 1_400])];
      const shutdowns = [{ instanceId: 'A1', at: T + 2_050, jobIds: [id] }];
      const given = check({ jobs: [stubborn], runs, refreshes, incarnations: [...instances, stopped], shutdowns });
      expect(failing(given)).toEqual([]);
      expect(given[1]?.excuses).toEqual([
        {
          jobId: id,
          cause: 'stop() deadline of A1',
          why: expect.stringMatching(/100 ms after its instance's stop\(\) reached its deadline/),
        },
      ]);
      const notGiven = check({ jobs: [stubborn], runs, refreshes, incarnations: [...instances, stopped] });
      expect(failing(notGiven)).toEqual([1, 3, 6]);
    });
  });

  it('4: a failure charged without a started run fails, unless its claim died with an instance killed right after', () => {
    const fast = completed('fast', 'ok1', 1);
    const runs = [run(fast, 'B', 5_000, 5_010, 'ok', 'ok1')];
    const charged = check({ jobs: [fast], runs });
    expect(charged[4]?.pass).toBe(false);
    expect(text(charged[4])).toMatch(/1 failure\(s\) charged without a run$/);
    // Claimed at 0.5 s by an instance 10 s ahead (lockedAt 10.5 s on its clock), killed at 1 s.
    const killed = incarnation(0, 'A0', { exit: 'killed', exitedAt: T + 1_000, skewMs: 10_000 });
    const recovery = (owner: string, lockedAt: number | null) => [
      { jobId: String(fast._id), owner, lockedAt, at: T + 4_500 },
    ];
    const excused = check({
      jobs: [fast],
      runs,
      incarnations: [...instances, killed],
      recoveries: recovery('A0', T + 10_500),
    });
    expect(excused[4]?.pass).toBe(true);
    expect(excused[4]?.excuses[0]).toEqual({
      jobId: String(fast._id),
      cause: 'exit of A0 (killed)',
      why: expect.stringMatching(
        /^a failure charged for a claim cut off \(exit of A0 \(killed\)\) before its handler could start/,
      ),
    });
    // Claimed 5 s before the kill: a lost claim the live instance should have settled.
    const stale = check({
      jobs: [fast],
      runs,
      incarnations: [...instances, killed],
      recoveries: recovery('A0', T + 6_000),
    });
    expect(text(stale[4])).toMatch(/recovered from A0/);
    // Without the lock time nothing is excused; a recovery from a live instance excuses nothing.
    expect(
      check({ jobs: [fast], runs, incarnations: [...instances, killed], recoveries: recovery('A0', null) })[4]?.pass,
    ).toBe(false);
    expect(check({ jobs: [fast], runs, recoveries: recovery('A', T + 500) })[4]?.pass).toBe(false);
    // Partitioned 100 ms after the claim, until after the recovery: it could not start it either.
    const partitioned = check({
      jobs: [fast],
      runs,
      recoveries: recovery('A', T + 500),
      partitions: [{ slot: 0, from: T + 600, to: T + 5_000 }],
    });
    expect(partitioned[4]?.excuses).toEqual([
      { jobId: String(fast._id), cause: expect.stringMatching(/^partition of i0 at/), why: expect.any(String) },
    ]);
  });

  it('2, 4, 8: a job planted processing by another tool must be recovered (one failure charged) and run', () => {
    const orphan = completed('fast', 'o1', 1);
    const planted = { ...orphan, data: { ...orphan.data, ref: 'orphan.1' } };
    const recoveries = [{ jobId: String(orphan._id), owner: 'another-tool', lockedAt: T - 3_600_000, at: T + 100 }];
    const runs = [run(planted, 'A', 200, 210, 'ok', 'o1')];
    const ran = check({ jobs: [planted], runs, recoveries, orphans: [String(orphan._id)] }, { enqueue: false });
    expect(failing(ran)).toEqual([]);
    // Not planted: a job no call wrote, charged a failure without a run.
    expect(failing(check({ jobs: [planted], runs, recoveries }, { enqueue: false }))).toEqual([4, 8]);
    const stuck = { ...planted, status: 'processing', owner: 'another-tool' };
    expect(failing(check({ jobs: [stuck], orphans: [String(orphan._id)] }, { enqueue: false }))).toEqual([1, 2]);
  });

  it('5: each schedule must stay one document', () => {
    const duplicate = job('recurring', 'pending', 0, { uniqueKey: 'a' });
    expect(check({ jobs: [duplicate] })[5]).toMatchObject({ pass: false, examples: ["schedule 'a': 2 documents"] });
  });

  it('6: nothing may start or still run after stop() resolved', () => {
    const fast = completed('fast', 'x');
    const late = check({ jobs: [fast], runs: [run(fast, 'A', 100_500, 100_600, 'ok', 'x')] });
    expect(text(late[6])).toMatch(/started 500 ms after stop\(\) resolved/);
    const running = check({ jobs: [fast], runs: [run(fast, 'A', 99_000, 101_000, 'ok', 'x')] });
    expect(text(running[6])).toMatch(/still running when stop\(\) resolved/);
  });

  it('7: a process may exit only when told to, and a stopped instance must exit by itself', () => {
    const crashed = incarnation(2, 'C', { exit: 'crashed', exitDetail: 'code 1' });
    const hung = incarnation(2, 'D', { exit: 'killed-after-stop-timeout' });
    const lingering = incarnation(2, 'E', { exit: 'hung-after-stop' });
    const clients: ClientExit[] = [
      { clientId: 'p0', exit: 'crashed', exitDetail: 'code 70' },
      { clientId: 'op', exit: 'stopped' },
    ];
    const results = check({ jobs: [], incarnations: [...instances, crashed, hung, lingering], clients });
    expect(results[7]?.pass).toBe(false);
    expect(results[7]?.examples).toEqual([
      'C exited on its own (code 1)',
      'D: stop() did not finish in time; killed',
      'E was still alive 5 s after stop() resolved and its clients closed',
      'p0 exited on its own (code 70)',
    ]);
    expect(check({ jobs: [], clients: [{ clientId: 'op', exit: 'stopped' }] })[7]?.pass).toBe(true);
  });

  describe('8: every enqueue that resolved wrote its job once; one that rejected wrote none unless it said it may have', () => {
    const fast = completed('fast', 'e1');
    const runs = [run(fast, 'A', 0, 10, 'ok', 'e1')];
    const rejected = (error: string, ref = 'w9.0.1'): CallRecord => ({
      ...call('enqueue', -3_000, -1_500, { ref, error }),
      client: 'p1',
      action: 'w9.0',
    });
    const retried = (of: JobRecord): CallRecord => ({ ...enqueued(of), action: 'w9.0' });

    it('knows an in-doubt error by what it says', () => {
      expect(saysMayBeApplied("ConnectionError: enqueue 'x' failed (it may still be applied): no answer")).toBe(true);
      expect(saysMayBeApplied('ConnectionError: enqueue failed: the insert may have been applied')).toBe(true);
      expect(saysMayBeApplied('ConnectionError: enqueue failed: read ECONNRESET; the job may exist')).toBe(true);
      expect(saysMayBeApplied('ConnectionError: enqueue failed: read ECONNRESET')).toBe(false);
    });

    it('fails a resolved enqueue whose job is missing or written twice', () => {
      const missing = check({ jobs: [], calls: [enqueued(fast)] }, { enqueue: false });
      expect(text(missing[8])).toMatch(/resolved with job .*, but the jobs carrying its ref are \[\] \(0 documents\)/);
      const twin = { ...fast, _id: new ObjectId() };
      const twice = check({ jobs: [fast, twin], runs: [...runs, run(twin, 'B', 0, 10, 'ok', 'e1')] });
      expect(text(twice[8])).toMatch(
        /resolved with job .*, but the jobs carrying its ref are \[.*, .*\] \(2 documents\)/,
      );
      expect(check({ jobs: [fast], runs })[8]?.pass).toBe(true);
    });

    it('fails a rejected enqueue whose job exists unless its error said it may have been applied', () => {
      const written = { ...completed('fast', 'e2'), data: { kind: 'fast' as const, ms: 10, ref: 'w9.0.1' } };
      const second = completed('fast', 'e3');
      const jobs = [written, second];
      const theirRuns = [run(written, 'A', 0, 10, 'ok', 'e2'), run(second, 'A', 0, 10, 'ok', 'e3')];
      const plain = check(
        { jobs, runs: theirRuns, calls: [rejected('ConnectionError: read ECONNRESET'), retried(second)] },
        { enqueue: false },
      );
      expect(text(plain[8])).toMatch(
        /enqueue w9\.0\.1 \(p1\) rejected with 'ConnectionError: read ECONNRESET' \(not saying it may have been applied\), yet job .* exists/,
      );
      const inDoubt = rejected("ConnectionError: enqueue 'chaos.fast' failed (it may still be applied): no answer");
      const doubtful = check({ jobs, runs: theirRuns, calls: [inDoubt, retried(second)] }, { enqueue: false });
      expect(doubtful[8]?.pass).toBe(true);
      expect(doubtful[8]?.summary).toMatch(/1 saying they may have been applied, 1 of which were/);
      // Nothing written for a plain rejection: fine.
      expect(
        check(
          {
            jobs: [second],
            runs: [theirRuns[1] as LedgerRun],
            calls: [rejected('ConnectionError: read ECONNRESET'), retried(second)],
          },
          { enqueue: false },
        )[8]?.pass,
      ).toBe(true);
    });

    it('fails an enqueue whose job was sent after the call rejected, whatever the error said', () => {
      const written = { ...completed('fast', 'e4'), data: { kind: 'fast' as const, ms: 10, ref: 'w9.0.1' } };
      const second = completed('fast', 'e6');
      const jobs = [written, second];
      const theirRuns = [run(written, 'A', 0, 10, 'ok', 'e4'), run(second, 'A', 0, 10, 'ok', 'e6')];
      const calls = [
        rejected("ConnectionError: enqueue 'chaos.fast' failed (it may still be applied): no answer"),
        retried(second),
      ];
      const sentAt = (ms: number): SentCommand[] => [{ ref: 'w9.0.1', at: T + ms }];
      const late = check({ jobs, runs: theirRuns, calls, sends: sentAt(-1_000) }, { enqueue: false });
      expect(text(late[8])).toMatch(
        /rejected at .*; a command carrying its job was first sent 500 ms later, writing job/,
      );
      expect(check({ jobs, runs: theirRuns, calls, sends: sentAt(-2_900) }, { enqueue: false })[8]?.pass).toBe(true);
    });

    it('fails a job no call wrote, and an order no call served', () => {
      const phantom = completed('fast', 'e5');
      const results = check(
        {
          jobs: [phantom],
          runs: [run(phantom, 'A', 0, 10, 'ok', 'e5')],
          calls: [rejected('ConnectionError: read ECONNRESET', 'w8.0.1')],
        },
        { enqueue: false },
      );
      expect(text(results[8])).toMatch(/carry ref w0\.\d+\.1, which no enqueue call wrote/);
      expect(text(results[8])).toMatch(/order w9\.0: no enqueue resolved/);
    });
  });

  it('9: a cancelled job is never claimed after its cancellation was written, and ends cancelled', () => {
    const slow = job('slow', 'cancelled');
    const jobId = String(slow._id);
    const cancel = call('cancelJob', 1_000, 1_050, { jobId, returned: 'processing' });
    const before = run(slow, 'A', 0, 1_600, 'threw');
    expect(check({ jobs: [slow], runs: [before], calls: [cancel] })[9]?.pass).toBe(true);
    // Handed back and claimed again by another instance after the request was written.
    const again = check({ jobs: [slow], runs: [before, run(slow, 'B', 2_000, 2_100, 'threw')], calls: [cancel] });
    expect(text(again[9])).toMatch(/claimed by B at .*, 945 ms after its cancellation was written/);
    const done = completed('slow', 'c1');
    const finished = check({
      jobs: [done],
      runs: [run(done, 'A', 0, 1_600, 'ok', 'c1')],
      calls: [{ ...cancel, jobId: String(done._id) }],
    });
    expect(text(finished[9])).toMatch(/ended completed although its cancellation was written/);
    // A cancellation refused (the job had finished) promises nothing.
    const refused = {
      ...cancel,
      jobId: String(done._id),
      returned: undefined,
      error: 'JobStateError: job is completed',
    };
    expect(check({ jobs: [done], runs: [run(done, 'A', 0, 900, 'ok', 'c1')], calls: [refused] })[9]?.pass).toBe(true);
  });

  it('10: a paused name starts nothing from one pollInterval after pause() until resume()', () => {
    const pause = call('pause', 0, 100, { name: 'chaos.fast' });
    const resume = call('resume', 3_000, 3_050, { name: 'chaos.fast' });
    const claimedAt = (ms: number): JobRecord & { runId: string } => ({
      ...completed('fast', `p${ms}`),
      runId: `p${ms}`,
    });
    const jobsAt = [200, 600, 3_200].map(claimedAt);
    const runs = jobsAt.map((j, i) =>
      run(j, 'A', [200, 600, 3_200][i] as number, ([200, 600, 3_200][i] as number) + 10, 'ok', j.runId),
    );
    const results = check({ jobs: jobsAt, runs, calls: [pause, resume] });
    expect(results[10]?.pass).toBe(false);
    // Claimed at 0.595 s: 495 ms after pause() resolved (pollInterval 250 ms); the others are fine.
    expect(results[10]?.examples).toEqual([
      expect.stringMatching(/claimed by A at .*, 495 ms after pause\(\) resolved/),
    ]);
    // Another name is not paused; a resume that may have been applied during the pause ends it.
    const slow = { ...completed('slow', 's600'), runId: 's600' };
    expect(
      check({ jobs: [slow], runs: [run(slow, 'A', 600, 610, 'ok', 's600')], calls: [pause, resume] })[10]?.pass,
    ).toBe(true);
    const early = call('resume', 50, 400, { name: 'chaos.fast', error: 'ConnectionError: read ECONNRESET' });
    expect(check({ jobs: jobsAt, runs, calls: [pause, early, resume] })[10]?.pass).toBe(true);
  });

  it('11: a deleted job never reappears, and is judged as it was read before deletion', () => {
    const done = completed('fast', 'd1');
    const jobId = String(done._id);
    const snapshot = { ...done, _id: jobId };
    const deleted = [
      call('deleteJobs', 1_000, 1_050, { jobId, ref: done.data.ref as string, returned: 1, snapshot }),
      call('getJob', 1_060, 1_070, { jobId, returned: null }),
    ];
    const calls = [enqueued(done), ...deleted];
    const runs = [run(done, 'A', 0, 10, 'ok', 'd1')];
    const gone = check({ jobs: [], runs, calls }, { enqueue: false });
    expect(failing(gone)).toEqual([]);
    expect(gone[11]?.summary).toMatch(/^1 jobs deleted/);
    const back = check({ jobs: [done], runs, calls }, { enqueue: false });
    expect(text(back[11])).toMatch(/deleted at .*, back in the collection/);
    const rerun = check(
      { jobs: [], runs: [...runs, run(done, 'B', 2_000, 2_010, 'ok', 'd2')], calls },
      { enqueue: false },
    );
    expect(text(rerun[11])).toMatch(/deleted at .*, claimed again by B/);
    // The job as read before deletion is judged by invariant 1: completed without its result.
    const { result: _dropped, ...withoutResult } = snapshot;
    const unstored = [
      enqueued(done),
      { ...(deleted[0] as CallRecord), snapshot: withoutResult },
      deleted[1] as CallRecord,
    ];
    expect(text(check({ jobs: [], runs, calls: unstored }, { enqueue: false })[1])).toMatch(
      /completed without a stored result/,
    );
  });

  it(`12: more than ${MAX_EXCUSING_FAULTS} faults excusing anything fail the run; one fault may excuse many jobs`, () => {
    /** `n` jobs, each charged for a claim that died with its own killed instance (or all with one). */
    const killedClaims = (n: number, owners: number): Partial<RunRecord> & { jobs: JobRecord[] } => {
      const jobs = Array.from({ length: n }, (_, i) => completed('fast', `k${i}`, 1));
      const owner = (i: number): string => `K${i % owners}`;
      const killed = Array.from({ length: owners }, (_, i) =>
        incarnation(0, `K${i}`, { exit: 'killed', exitedAt: T + 1_000 }),
      );
      return {
        jobs,
        runs: jobs.map((j, i) => run(j, 'B', 5_000, 5_010, 'ok', `k${i}`)),
        incarnations: [...instances, ...killed],
        recoveries: jobs.map((j, i) => ({ jobId: String(j._id), owner: owner(i), lockedAt: T + 500, at: T + 4_000 })),
      };
    };
    const five = check(killedClaims(MAX_EXCUSING_FAULTS, MAX_EXCUSING_FAULTS))[12];
    expect(five).toMatchObject({ pass: true, summary: '5 excuses for 5 jobs, forced by 5 faults' });
    expect(five?.note).toMatch(/^exit of K0 \(killed\): 1 job\(s\); exit of K1 \(killed\): 1 job\(s\)/);
    const six = check(killedClaims(MAX_EXCUSING_FAULTS + 1, MAX_EXCUSING_FAULTS + 1));
    expect(six[12]).toMatchObject({ pass: false, summary: '6 excuses for 6 jobs, forced by 6 faults' });
    expect(six[4]?.pass).toBe(true);
    expect(check(killedClaims(12, 1))[12]).toMatchObject({
      pass: true,
      summary: '12 excuses for 12 jobs, forced by 1 faults',
    });
  });
});
