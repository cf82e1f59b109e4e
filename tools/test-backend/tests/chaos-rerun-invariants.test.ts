/**
 * The chaos run's invariant checker on hand-made records, invariant 3: a job runs again only after
 * a genuine lock expiry (no overlap, no re-run of a success), proved from the proxies' record of
 * claims and renewals and from what kept the instance from renewing (a partition, a stall, a death).
 */
import { describe, expect, it } from 'vitest';
import type { Incarnation } from '../../chaos/instances.js';
import {
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

    it('fails a success re-run by the instance that held it unwritten (cut off after the return)', () => {
      const again = completed('fast', 'later');
      // Returned at 0.6 s, during an outage from 0.5 s to 3 s (its lock held until 3.3 s): once back,
      // its own instance claimed the job again and ran it, instead of writing the success.
      const outage = [{ slot: 0, from: T + 500, to: T + 3_000 }];
      const refreshes = [claim(), ...renewals(0, [300])];
      const byItself = [run(again, 'A', 0, 600), run(again, 'A', 3_500, 3_510, 'ok', 'later')];
      const results = check({ jobs: [again], runs: byItself, refreshes, partitions: outage });
      expect(text(results[3])).toMatch(/the instance that held that success, not yet written, ran the job again/);
      expect(results[3]?.excuses).toHaveLength(0);
      // Its lock lapsed before the return (cut off at 0.2 s, returned at 3.4 s): the instance could
      // not know the job was still its own.
      const lapsed = [run(again, 'A', 0, 3_400), run(again, 'A', 3_500, 3_510, 'ok', 'later')];
      const early = check({
        jobs: [again],
        runs: lapsed,
        refreshes: [claim()],
        partitions: [{ slot: 0, from: T + 200, to: T + 3_300 }],
      });
      expect(text(early[3])).toBe('');
      expect(early[3]?.excuses).toHaveLength(1);
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
});
