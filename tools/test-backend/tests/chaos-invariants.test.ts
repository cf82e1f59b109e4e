/**
 * The chaos run's invariant checker (tools/chaos/invariants.ts) on hand-made records, invariants 1
 * to 4 (how jobs end, when they may run again, what is charged): each check must fail on the fault
 * it is meant to catch, and pass, or excuse with its evidence, what is legitimate. An excuse needs
 * proof (a partition, a stall or a death that kept the instance from renewing its lock; a kill right
 * after a handler returned); without it, the same case fails.
 */
import { describe, expect, it } from 'vitest';
import type { Incarnation } from '../../chaos/instances.js';
import type { LedgerRun } from '../../chaos/settings.js';
import {
  call,
  check,
  claim,
  completed,
  failing,
  incarnation,
  instances,
  job,
  renewals,
  run,
  T,
  text,
} from './chaos-records.js';

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
      expect(soon[1]?.excuses[0]?.why).toMatch(
        /SIGKILLed 200 ms later, having had at most 200 ms at a stretch to write its outcome/,
      );
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
      // A stall of the orchestrator, where every proxy runs, held every instance's renewals back.
      expect(check({ jobs: [slow], runs, refreshes, stalls: [{ from: T + 1_500, to: T + 4_000 }] })[3]?.pass).toBe(
        true,
      );
      expect(check({ jobs: [slow], runs, refreshes })[3]?.pass).toBe(false);
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

    it('fails a re-run of a success whose outcome could have been written before its instance was cut off', () => {
      const again = completed('fast', 'later');
      const sequential = [run(again, 'A', 0, 100), run(again, 'B', 5_000, 5_010, 'ok', 'later')];
      const refreshes = [claim(), ...renewals(0, [700, 1_400])];
      // Returned at 0.1 s, reachable until 2 s: the outcome should have been written long before.
      const late = check({
        jobs: [again],
        runs: sequential,
        refreshes,
        partitions: [{ slot: 0, from: T + 2_000, to: T + 6_000 }],
      });
      expect(text(late[3])).toMatch(/although its instance had 1900 ms at a stretch to write that run's outcome/);
      // Cut off 1 s after the return: too soon to blame the engine.
      const soon = check({
        jobs: [again],
        runs: sequential,
        refreshes,
        partitions: [{ slot: 0, from: T + 1_100, to: T + 6_000 }],
      });
      expect(text(soon[3])).toBe('');
      // Returned during an outage: once back, the outcome writer's next retry may take up to 5 s, and
      // the job was re-run 0.5 s after the outage (its lock had expired meanwhile).
      const during = [run(again, 'A', 0, 600), run(again, 'B', 3_500, 3_510, 'ok', 'later')];
      const outage = [{ slot: 0, from: T + 500, to: T + 3_000 }];
      const back = check({
        jobs: [again],
        runs: during,
        refreshes: [claim(), ...renewals(0, [300])],
        partitions: outage,
      });
      expect(text(back[3])).toBe('');
      expect(back[3]?.excuses).toHaveLength(1);
      // Back at 3 s, renewing, then killed 1.6 s later with its outcome still waiting for the next retry.
      const killed = incarnation(0, 'A0', { exit: 'killed', exitedAt: T + 4_600 });
      const afterKill = [run(again, 'A0', 0, 600), run(again, 'B', 8_000, 8_010, 'ok', 'later')];
      const renewed = [claim(), ...renewals(0, [300, 3_100, 3_850])];
      const lost = check({
        jobs: [again],
        runs: afterKill,
        refreshes: renewed,
        partitions: outage,
        incarnations: [...instances, killed],
      });
      expect(text(lost[3])).toBe('');
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
});
