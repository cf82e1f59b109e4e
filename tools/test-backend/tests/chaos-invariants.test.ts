/**
 * The chaos run's invariant checker (tools/chaos/invariants.ts) on hand-made records: each check
 * must fail on the fault it is meant to catch and pass, or excuse, what is legitimate.
 */
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { Incarnation } from '../../chaos/instances.js';
import { type CheckResult, checkInvariants, type JobRecord, type RunRecord } from '../../chaos/invariants.js';
import type { ChaosJobData, LedgerRun } from '../../chaos/settings.js';

const T = 1_700_000_000_000;
const at = (ms: number): Date => new Date(T + ms);

function job(kind: ChaosJobData['kind'], status: string, failCount = 0, extra: Partial<JobRecord> = {}): JobRecord {
  return {
    _id: new ObjectId(),
    name: kind === 'recurring' ? 'chaos.recurring' : `chaos.${kind}`,
    data: { kind, ms: 10 },
    status,
    failCount,
    ...extra,
  };
}

let runNumber = 0;
function run(of: JobRecord, instanceId: string, start: number, end?: number, outcome?: 'ok' | 'threw'): LedgerRun {
  runNumber += 1;
  return {
    _id: `run-${runNumber}`,
    jobId: of._id,
    name: of.name,
    instanceId,
    pid: 1,
    start: at(start),
    ...(end === undefined ? {} : { end: at(end), outcome: outcome ?? 'ok' }),
  };
}

function incarnation(slot: number, instanceId: string, extra: Partial<Incarnation> = {}): Incarnation {
  return { slot, instanceId, ledger: `ledger_${instanceId}`, skewMs: 0, pid: 1, exit: 'stopped', ...extra };
}

const schedules = [
  job('recurring', 'pending', 0, { uniqueKey: 'a' }),
  job('recurring', 'pending', 0, { uniqueKey: 'b' }),
];
const instances = [incarnation(0, 'A', { stoppedAt: T + 100_000 }), incarnation(1, 'B', { stoppedAt: T + 100_000 })];

function check(parts: Partial<RunRecord> & { jobs: JobRecord[] }): Record<number, CheckResult> {
  const oneOff = parts.jobs.filter((candidate) => candidate.name !== 'chaos.recurring');
  const record: RunRecord = {
    enqueued: oneOff.map((candidate) => candidate._id),
    runs: [],
    incarnations: instances,
    refreshes: [],
    recoveries: [],
    ...parts,
    jobs: [...parts.jobs, ...schedules],
  };
  return Object.fromEntries(checkInvariants(record).map((result) => [Number(result.title.split('.')[0]), result]));
}

describe('chaos invariants', () => {
  it('pass on a clean run', () => {
    const fast = job('fast', 'completed');
    const failing = job('failing', 'completed', 1);
    const always = job('always-failing', 'failed', 3);
    const results = check({
      jobs: [fast, failing, always],
      runs: [
        run(fast, 'A', 0, 10),
        run(failing, 'A', 0, 10, 'threw'),
        run(failing, 'B', 20, 30),
        run(always, 'A', 0, 10, 'threw'),
        run(always, 'B', 20, 30, 'threw'),
        run(always, 'A', 40, 50, 'threw'),
      ],
    });
    expect(Object.values(results).filter((result) => !result.pass)).toEqual([]);
  });

  it('1: a job must end as its handler behaved, and every enqueued job must still exist', () => {
    const completedWithoutSuccess = job('always-failing', 'completed', 0);
    const failedAfterSuccess = job('slow', 'failed', 3);
    const failedTooSoon = job('failing', 'failed', 3);
    const unfinished = job('fast', 'pending');
    const results = check({
      jobs: [completedWithoutSuccess, failedAfterSuccess, failedTooSoon, unfinished],
      runs: [
        run(completedWithoutSuccess, 'A', 0, 10, 'threw'),
        run(failedAfterSuccess, 'A', 0, 10),
        run(failedTooSoon, 'A', 0, 10, 'threw'),
        run(failedTooSoon, 'A', 20, 30, 'threw'),
      ],
    });
    expect(results[1]?.pass).toBe(false);
    expect(results[1]?.examples.join('\n')).toMatch(/completed although no run succeeded/);
    expect(results[1]?.examples.join('\n')).toMatch(/failed although a run succeeded/);
    expect(results[1]?.examples.join('\n')).toMatch(/failed after 2 unsuccessful attempts/);
    expect(results[1]?.examples.join('\n')).toMatch(/not finished/);
    const missing = check({ jobs: [], enqueued: [new ObjectId()] });
    expect(missing[1]?.examples.join('\n')).toMatch(/no longer in the collection/);
  });

  it('2: no job may be left processing', () => {
    const stuck = job('fast', 'processing', 0, { owner: 'A' });
    expect(check({ jobs: [stuck] })[2]).toMatchObject({ pass: false, summary: expect.stringMatching(/^1 processing/) });
  });

  it('3: overlapping runs fail, unless the first run’s lock went unrefreshed for lockTimeout (3 s)', () => {
    const slow = job('slow', 'completed');
    const jobId = String(slow._id);
    const runs = [run(slow, 'A', 0, 6_000), run(slow, 'B', 4_500, 7_000)];
    const claim = { slot: 0, at: T - 5, kind: 'claim' as const, jobIds: null };
    const renewals = (slot: number, times: number[], jobIds: string[] | null = [jobId]) =>
      times.map((ms) => ({ slot, at: T + ms, kind: 'renewal' as const, jobIds }));
    // Renewed every 700 ms, yet run again (e.g. recovered by an instance with a skewed clock): a bug.
    const healthy = check({
      jobs: [slow],
      runs,
      refreshes: [claim, ...renewals(0, [700, 1_400, 2_100, 2_800, 3_500, 4_200])],
    });
    expect(healthy[3]?.pass).toBe(false);
    expect(healthy[3]?.examples[0]).toMatch(/A and B ran it at once for 1500 ms/);
    // A gap of 3050 ms between renewals (a partition): the lock genuinely expired.
    const lapsed = check({ jobs: [slow], runs, refreshes: [claim, ...renewals(0, [700, 1_400, 4_450])] });
    expect(lapsed[3]).toMatchObject({ pass: true, note: expect.stringMatching(/^1 of 1 overlaps/) });
    // A gap of 2 s is not enough.
    expect(check({ jobs: [slow], runs, refreshes: [claim, ...renewals(0, [700, 2_700, 4_400])] })[3]?.pass).toBe(false);
    // Renewals that name other jobs, or come from another slot, do not keep this lock.
    expect(
      check({
        jobs: [slow],
        runs,
        refreshes: [claim, ...renewals(0, [700, 1_400, 2_100, 2_800, 3_500, 4_200], ['other'])],
      })[3]?.pass,
    ).toBe(true);
    expect(
      check({ jobs: [slow], runs, refreshes: [claim, ...renewals(1, [700, 1_400, 2_100, 2_800, 3_500, 4_200])] })[3]
        ?.pass,
    ).toBe(true);
    // A renewal that names no ids (all of the owner's jobs) does.
    expect(
      check({
        jobs: [slow],
        runs,
        refreshes: [claim, ...renewals(0, [700, 1_400, 2_100, 2_800, 3_500, 4_200], null)],
      })[3]?.pass,
    ).toBe(false);
  });

  it('3: a run cut off by a kill ends when its process exited', () => {
    const slow = job('slow', 'completed', 1);
    const killed = incarnation(0, 'A0', { exit: 'killed', exitedAt: T + 1_000 });
    const runs = [run(slow, 'A0', 0), run(slow, 'B', 4_500, 6_000)];
    expect(check({ jobs: [slow], runs, incarnations: [...instances, killed] })[3]?.pass).toBe(true);
    const stillAlive = incarnation(0, 'A0', { exit: 'stopped', exitedAt: T + 9_000, stoppedAt: T + 8_000 });
    // Alive and renewing its lock until it stopped at 9 s: the second run overlapped it.
    const refreshes = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((s) => ({
      slot: 0,
      at: T + s * 1_000,
      kind: 'renewal' as const,
      jobIds: null,
    }));
    expect(check({ jobs: [slow], runs, refreshes, incarnations: [...instances, stillAlive] })[3]?.pass).toBe(false);
  });

  it('4: a failure charged without a started run fails, unless its claim died with an instance killed right after', () => {
    const fast = job('fast', 'completed', 1);
    const runs = [run(fast, 'B', 5_000, 5_010)];
    const charged = check({ jobs: [fast], runs });
    expect(charged[4]?.pass).toBe(false);
    expect(charged[4]?.examples[0]).toMatch(/1 failure\(s\) charged without a run$/);
    // Claimed at 0.5 s by an instance 10 s ahead (lockedAt 10.5 s on its clock), killed at 1 s.
    const killed = incarnation(0, 'A0', { exit: 'killed', exitedAt: T + 1_000, skewMs: 10_000 });
    const recovery = (owner: string, lockedAt: number | null) => [{ jobId: String(fast._id), owner, lockedAt }];
    const excused = check({
      jobs: [fast],
      runs,
      incarnations: [...instances, killed],
      recoveries: recovery('A0', T + 10_500),
    });
    expect(excused[4]).toMatchObject({ pass: true, note: expect.stringMatching(/^1 charges/) });
    // Claimed 5 s before the kill: a lost claim the live instance should have settled.
    const stale = check({
      jobs: [fast],
      runs,
      incarnations: [...instances, killed],
      recoveries: recovery('A0', T + 6_000),
    });
    expect(stale[4]?.pass).toBe(false);
    expect(stale[4]?.examples[0]).toMatch(/recovered from A0/);
    // Without the lock time nothing is excused; a recovery from a live instance excuses nothing.
    expect(
      check({ jobs: [fast], runs, incarnations: [...instances, killed], recoveries: recovery('A0', null) })[4]?.pass,
    ).toBe(false);
    expect(check({ jobs: [fast], runs, recoveries: recovery('A', T + 500) })[4]?.pass).toBe(false);
  });

  it('5: each schedule must stay one document', () => {
    const duplicate = job('recurring', 'pending', 0, { uniqueKey: 'a' });
    expect(check({ jobs: [duplicate] })[5]).toMatchObject({ pass: false, examples: ["schedule 'a': 2 documents"] });
  });

  it('6: nothing may start or still run after stop() resolved', () => {
    const fast = job('fast', 'completed');
    const late = check({ jobs: [fast], runs: [run(fast, 'A', 100_500, 100_600)] });
    expect(late[6]?.examples[0]).toMatch(/started 500 ms after stop\(\) resolved/);
    const running = check({ jobs: [fast], runs: [run(fast, 'A', 99_000, 101_000)] });
    expect(running[6]?.examples[0]).toMatch(/still running when stop\(\) resolved/);
  });

  it('7: an instance may exit only when told to', () => {
    const crashed = incarnation(2, 'C', { exit: 'crashed', exitDetail: 'code 1' });
    const hung = incarnation(2, 'D', { exit: 'killed-after-stop-timeout' });
    const results = check({ jobs: [], incarnations: [...instances, crashed, hung] });
    expect(results[7]?.pass).toBe(false);
    expect(results[7]?.examples).toHaveLength(2);
  });

  it('1. excuses a success that could not be stored because its instance lost the lock, and no other', () => {
    // Three attempts: a run that threw, then two successes whose instances were cut off for longer
    // than lockTimeout: each was recovered from its own instance with the lock it took during the run.
    const unlucky = job('slow', 'failed', 3);
    const runs = [run(unlucky, 'A', 0, 10, 'threw'), run(unlucky, 'B', 20, 30), run(unlucky, 'A', 4_000, 4_010)];
    const recoveries = [
      { jobId: String(unlucky._id), owner: 'B', lockedAt: T + 25 },
      { jobId: String(unlucky._id), owner: 'A', lockedAt: T + 4_005 },
    ];
    const excused = check({ jobs: [unlucky], runs, recoveries });
    expect(excused[1]?.pass).toBe(true);
    expect(excused[1]?.note).toMatch(/^2 successful runs of failed jobs could not be stored/);
    // The same, but the recovery of A's success saw a lock from another time: that success was stored.
    const stored = check({
      jobs: [unlucky],
      runs,
      recoveries: [
        recoveries[0] as (typeof recoveries)[number],
        { ...(recoveries[1] as (typeof recoveries)[number]), lockedAt: T + 60_000 },
      ],
    });
    expect(stored[1]?.pass).toBe(false);
    expect(stored[1]?.examples[0]).toContain('failed although a run succeeded');
  });
});
