/**
 * The chaos run's invariant checker on hand-made records, invariants 17 to 22: the flow-controlled
 * names (`chaos.limited`: globalConcurrency 2; `chaos.grouped`: groupConcurrency 1; `chaos.rated`:
 * 4 starts per second) never run or start more than their limits allow, start nothing during a
 * RateLimitError hold, leave no slot held, get a killed instance's slots back in time; each check
 * fails on a record that breaks it.
 */
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../chaos/invariants.js';
import { SLOT_RETURN_MS } from '../../chaos/limit-slot-checks.js';
import type { LedgerRun } from '../../chaos/settings.js';
import { check, claim, completed, failing, incarnation, job, renewals, run, T, text } from './chaos-records.js';

/** A completed job of `kind` (in `group`) and its one successful run on `instance` from `start` to `end`. */
function ran(
  kind: 'limited' | 'grouped' | 'rated',
  instance: string,
  start: number,
  end: number,
  group?: string,
): { job: JobRecord; run: LedgerRun } {
  const runId = `${kind}-${instance}-${start}-${Math.random()}`;
  const done = { ...completed(kind, runId), ...(group === undefined ? {} : { group }) };
  return { job: done, run: { ...run(done, instance, start, end, 'ok', runId), ...(group ? { group } : {}) } };
}

function record(parts: { job: JobRecord; run: LedgerRun }[]): { jobs: JobRecord[]; runs: LedgerRun[] } {
  return { jobs: parts.map((part) => part.job), runs: parts.map((part) => part.run) };
}

describe('chaos invariants: flow control', () => {
  it('17: fails a third limited job running beside two, and excuses one whose lock genuinely expired', () => {
    const two = record([ran('limited', 'A', 0, 3_000), ran('limited', 'B', 500, 3_000)]);
    expect(failing(check({ ...two, refreshes: [claim(0), claim(1)] }))).toEqual([]);
    const three = record([
      ran('limited', 'A', 0, 8_000),
      ran('limited', 'B', 500, 7_000),
      ran('limited', 'B', 6_000, 6_500),
    ]);
    // A renewed its lock all along: the third start is beyond globalConcurrency 2.
    const renewed = check({
      ...three,
      refreshes: [claim(0), claim(1), ...renewals(0, [700, 1_400, 2_100, 2_800, 3_500, 4_200, 4_900, 5_600])],
    });
    expect(failing(renewed)).toEqual([17]);
    expect(text(renewed[17])).toMatch(/chaos\.limited name: 3 running at .* \(limit 2\)/);
    // A was partitioned and could not renew: its slot was recovered, the third start is excused.
    const cutOff = check({
      ...three,
      refreshes: [claim(0), claim(1)],
      partitions: [{ slot: 0, from: T + 100, to: T + 7_900 }],
    });
    expect(cutOff[17]?.pass).toBe(true);
    expect(cutOff[17]?.excuses).toEqual([
      {
        jobId: String(three.jobs[0]?._id),
        cause: expect.stringMatching(/^partition of i0/),
        why: expect.stringMatching(/genuine lock expiry/),
      },
    ]);
  });

  it('17: fails two jobs of one group running at once (groupConcurrency 1), not of two groups', () => {
    const twoGroups = record([ran('grouped', 'A', 0, 1_000, 't0'), ran('grouped', 'B', 200, 900, 't1')]);
    expect(failing(check(twoGroups))).toEqual([]);
    const oneGroup = record([ran('grouped', 'A', 0, 1_000, 't0'), ran('grouped', 'B', 200, 900, 't0')]);
    const results = check({ ...oneGroup, refreshes: [claim(0), ...renewals(0, [500])] });
    expect(failing(results)).toEqual([17]);
    expect(text(results[17])).toMatch(/chaos\.grouped group t0: 2 running/);
  });

  it('18: fails a fifth rated start within a second, judged on each claimer’s clock', () => {
    const four = [0, 100, 200, 300].map((start) => ran('rated', 'A', start, start + 20));
    expect(failing(check(record(four)))).toEqual([]);
    const five = record([...four, ran('rated', 'B', 900, 920)]);
    const results = check(five);
    expect(failing(results)).toEqual([18]);
    expect(text(results[18])).toMatch(/chaos\.rated name: 5 starts \(max 4\) within 1000 ms/);
    // The fifth start a full window after the first: allowed.
    expect(failing(check(record([...four, ran('rated', 'B', 1_100, 1_120)])))).toEqual([]);
    // B's clock runs 10 s ahead: its start lies in another window of the clocks.
    const ahead = [
      incarnation(0, 'A', { stoppedAt: T + 100_000 }),
      incarnation(1, 'B', { stoppedAt: T + 100_000, skewMs: 10_000 }),
    ];
    const skewed = record([...four, ran('rated', 'B', 900, 920)]);
    const last = skewed.runs[4] as LedgerRun;
    skewed.runs[4] = { ...last, claimedAt: new Date(last.start.getTime() + 10_000 - 5) };
    expect(failing(check({ ...skewed, incarnations: ahead }))).toEqual([]);
  });

  it('19: fails a claim during a RateLimitError hold; excuses one when the hold was written late', () => {
    const held = job('rated', 'completed', 0, { result: { run: 'retried' } });
    const throwRun: LedgerRun = { ...run(held, 'A', -50, 0, 'threw'), retryAfterMs: 2_000 };
    const again = run(held, 'A', 2_100, 2_120, 'ok', 'retried');
    const other = (start: number) => ran('rated', 'B', start, start + 20);
    const base = { jobs: [held], runs: [throwRun, again] };
    expect(failing(check(base))).toEqual([]);
    const during = other(1_000);
    const results = check({ jobs: [...base.jobs, during.job], runs: [...base.runs, during.run] });
    expect(failing(results)).toEqual([19]);
    expect(text(results[19])).toMatch(/claimed by B .* during the 2000 ms hold/);
    // Claimed right after the throw (its write in flight), or after the hold: allowed.
    for (const start of [300, 2_100]) {
      const fine = other(start);
      expect(failing(check({ jobs: [...base.jobs, fine.job], runs: [...base.runs, fine.run] }))).toEqual([]);
    }
    // The thrower was cut off right after the throw: its hold was written late.
    const late = check({
      jobs: [...base.jobs, during.job],
      runs: [...base.runs, during.run],
      partitions: [{ slot: 0, from: T + 10, to: T + 1_500 }],
    });
    expect(late[19]?.pass).toBe(true);
    expect(late[19]?.excuses).toEqual([
      {
        jobId: String(during.job._id),
        cause: expect.stringMatching(/^partition of i0/),
        why: expect.stringMatching(/written late/),
      },
    ]);
  });

  it('19: without a rateLimit (the pause state), the hold counts from a pollInterval later', () => {
    const held = job('limited', 'completed', 0, { result: { run: 'limited-again' } });
    const throwRun: LedgerRun = { ...run(held, 'A', -50, 0, 'threw'), retryAfterMs: 2_000 };
    const again = run(held, 'A', 2_100, 2_120, 'ok', 'limited-again');
    const other = (start: number) => ran('limited', 'B', start, start + 20);
    for (const [start, fails] of [
      [600, false],
      [1_000, true],
      [2_100, false],
    ] as const) {
      const claimed = other(start);
      const results = check({ jobs: [held, claimed.job], runs: [throwRun, again, claimed.run] });
      expect(results[19]?.pass).toBe(!fails);
    }
  });

  it('20: fails a job that holds a slot and is not processing', () => {
    const left = ran('limited', 'A', 0, 100);
    const results = check({ jobs: [{ ...left.job, limitSlot: 1 }], runs: [left.run] });
    expect(failing(results)).toEqual([20]);
    expect(text(results[20])).toMatch(/holds limitSlot 1 of chaos\.limited/);
    const grouped = ran('grouped', 'A', 0, 100, 't0');
    expect(text(check({ jobs: [{ ...grouped.job, groupSlot: 0 }], runs: [grouped.run] })[20])).toMatch(
      /holds groupSlot 0 of chaos\.grouped \(group t0\)/,
    );
  });

  it('21: fails a killed instance’s slot not used again in time while its job waited', () => {
    const incarnations = [
      incarnation(0, 'A', { exit: 'killed', exitedAt: T + 1_000, readyAt: T - 5_000 }),
      incarnation(1, 'B', { readyAt: T - 5_000, stoppedAt: T + 100_000 }),
    ];
    const killedJob = job('limited', 'completed', 1, { result: { run: 'again' } });
    const cutOff = run(killedJob, 'A', 0);
    const later = (start: number) => ({
      jobs: [killedJob],
      runs: [cutOff, run(killedJob, 'B', start, start + 100, 'ok', 'again')],
      incarnations,
    });
    expect(check(later(1_000 + SLOT_RETURN_MS - 100))[21]?.pass).toBe(true);
    const slow = check(later(1_000 + SLOT_RETURN_MS + 2_000));
    expect(slow[21]?.pass).toBe(false);
    expect(text(slow[21])).toMatch(/chaos\.limited name: A was killed at .* running .* although B could run it/);
    // B was cut off meanwhile: nobody could recover the slot, excused.
    const partitioned = check({
      ...later(1_000 + SLOT_RETURN_MS + 2_000),
      partitions: [{ slot: 1, from: T + 2_000, to: T + 6_000 }],
    });
    expect(partitioned[21]?.pass).toBe(true);
    expect(partitioned[21]?.excuses).toEqual([
      {
        jobId: String(killedJob._id),
        cause: expect.stringMatching(/^partition of i1/),
        why: expect.stringMatching(/no other instance/),
      },
    ]);
  });

  it('22: reports the share of the allowed starts and slots used while jobs waited', () => {
    const parts = [ran('limited', 'A', 0, 1_000), ran('limited', 'B', 0, 1_000), ran('limited', 'A', 1_000, 2_000)];
    const jobs = parts.map((part) => part.job);
    const calls = jobs.map((one) => ({
      client: 'p0' as const,
      method: 'enqueue' as const,
      action: String(one.data.ref).slice(0, -2),
      ref: String(one.data.ref),
      start: T - 20,
      end: T,
      returned: String(one._id),
    }));
    const results = check({ jobs, runs: parts.map((part) => part.run), calls }, { enqueue: false });
    expect(results[22]?.pass).toBe(true);
    // The third job waited 1 s while both slots were used.
    expect(results[22]?.summary).toMatch(/chaos\.limited: 100 % of 2 slot\(s\) over 1\.0 s of wait/);
  });
});
