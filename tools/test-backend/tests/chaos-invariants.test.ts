/**
 * The chaos run's invariant checker (tools/chaos/invariants.ts) on hand-made records, invariants
 * 1, 2 and 4 (how jobs end, what is charged; 3 is in chaos-rerun-invariants.test.ts): each check
 * must fail on the fault it is meant to catch, and pass, or excuse with its evidence, what is
 * legitimate. An excuse needs proof (a partition, a stall or a death that kept the instance from
 * renewing its lock; a kill right after a handler returned); without it, the same case fails.
 */
import { describe, expect, it } from 'vitest';
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
      expect(text(results[1])).toMatch(
        /cancelled, but neither the operator nor a failed or cancelled dependency did it/,
      );
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

  it('4: an attempt that ended just before the killed instance claimed the job again is not that claim’s run', () => {
    // A0 ran it at 0.2 s (it threw), claimed it again at 0.7 s (after a 300 ms backoff), and was
    // killed at 0.75 s: two failures, one run, the second claim cut off by the kill (seed 9).
    const dead = job('always-failing', 'failed', 2);
    const killed = incarnation(0, 'A0', { exit: 'killed', exitedAt: T + 750 });
    const results = check({
      jobs: [dead],
      runs: [run(dead, 'A0', 200, 260, 'threw')],
      incarnations: [...instances, killed],
      recoveries: [{ jobId: String(dead._id), owner: 'A0', lockedAt: T + 700, at: T + 4_500 }],
    });
    expect(failing(results)).toEqual([]);
    expect(results[4]?.excuses.map((excuse) => excuse.cause)).toEqual(['exit of A0 (killed)']);
  });
});
