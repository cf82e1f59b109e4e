/**
 * Two small loops of a run, with stand-ins for the store calls they make (what is tested is their
 * own bookkeeping): progress values are written one at a time, only the latest waiting one next,
 * never after the run stopped accepting them; the heartbeat renews only when runs are held, never
 * two renewals at once, and passes on only reports that say something.
 */
import { ObjectId } from 'mongodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Heartbeat, MAX_BEATS_IN_FLIGHT } from '../../src/engine/heartbeat.js';
import { MAX_PROGRESS_BYTES, ProgressReporter, type ProgressValue } from '../../src/engine/progress-reporter.js';
import { InvalidArgumentError } from '../../src/errors/invalid-argument-error.js';
import type { HeldRun, RenewalReport } from '../../src/store/lock-store.js';
import { deferred } from '../helpers/events.js';

describe('ProgressReporter', () => {
  function reporter(options: { active?: () => boolean; write?: (value: ProgressValue) => Promise<boolean> } = {}) {
    const writes: ProgressValue[] = [];
    const stored: ProgressValue[] = [];
    const errors: unknown[] = [];
    const gates: ReturnType<typeof deferred<boolean>>[] = [];
    const progress = new ProgressReporter({
      write:
        options.write ??
        ((value) => {
          writes.push(value);
          const gate = deferred<boolean>();
          gates.push(gate);
          return gate.promise;
        }),
      onStored: (value) => stored.push(value),
      onError: (error) => errors.push(error),
      active: options.active ?? (() => true),
    });
    return { progress, writes, stored, errors, gates };
  }

  it('one write at a time; values reported meanwhile coalesce into the latest; every caller resolves', async () => {
    const { progress, writes, stored, gates } = reporter();
    const first = progress.report(10);
    const second = progress.report(20);
    const third = progress.report({ step: 'c' });
    await Promise.resolve();
    expect(writes).toEqual([10]);
    gates[0]?.resolve(true);
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([10, { step: 'c' }]);
    gates[1]?.resolve(true);
    await Promise.all([second, third]);
    expect(stored).toEqual([10, { step: 'c' }]);
  });

  it('a value the store did not take (the run lost its job) is not reported as stored', async () => {
    const { progress, stored, gates } = reporter();
    const reported = progress.report(5);
    gates[0]?.resolve(false);
    await reported;
    expect(stored).toEqual([]);
  });

  it('a failed write is reported and given up; the next value is written', async () => {
    let calls = 0;
    const { progress, stored, errors } = reporter({
      write: async () => {
        calls += 1;
        if (calls === 1) throw new Error('timeout');
        return true;
      },
    });
    await progress.report(1);
    await progress.report(2);
    expect((errors[0] as Error).message).toBe('timeout');
    expect(stored).toEqual([2]);
  });

  it('after the run stopped accepting progress nothing is written, and the caller still resolves', async () => {
    let active = true;
    const { progress, writes, gates } = reporter({ active: () => active });
    const first = progress.report(1);
    const queued = progress.report(2);
    active = false;
    gates[0]?.resolve(true);
    await Promise.all([first, queued, progress.report(3)]);
    expect(writes).toEqual([1]);
  });

  it('refuses what cannot be progress, naming the argument, before any write', async () => {
    const { progress, writes } = reporter();
    for (const bad of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      'half',
      null,
      [1],
      { big: 'x'.repeat(MAX_PROGRESS_BYTES) },
    ]) {
      const error = await progress.report(bad).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).message).toContain('progress');
    }
    expect(writes).toEqual([]);
  });
});

describe('Heartbeat', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const run: HeldRun = { id: new ObjectId(), token: 'claim' };

  function heartbeat(options: { held?: () => HeldRun[]; renew?: (runs: HeldRun[]) => Promise<RenewalReport> } = {}) {
    const renewals: HeldRun[][] = [];
    const reports: RenewalReport[] = [];
    const results: unknown[] = [];
    const beat = new Heartbeat({
      interval: 100,
      heldRuns: options.held ?? (() => [run]),
      renew:
        options.renew ??
        (async (runs) => {
          renewals.push(runs);
          return { lost: [], cancelled: [] };
        }),
      onReport: (report) => reports.push(report),
      onResult: (error) => results.push(error),
    });
    return { beat, renewals, reports, results };
  }

  it('renews every interval while started, not after stop()', async () => {
    vi.useFakeTimers();
    const { beat, renewals, results } = heartbeat();
    beat.start();
    beat.start();
    await vi.advanceTimersByTimeAsync(99);
    expect(renewals).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(renewals).toEqual([[run]]);
    await vi.advanceTimersByTimeAsync(100);
    expect(renewals).toHaveLength(2);
    expect(results).toEqual([null, null]);
    await beat.stop();
    await vi.advanceTimersByTimeAsync(500);
    expect(renewals).toHaveLength(2);
  });

  it('nothing held: no renewal at all', async () => {
    const { beat, renewals, results } = heartbeat({ held: () => [] });
    await beat.beat();
    expect(renewals).toEqual([]);
    expect(results).toEqual([]);
  });

  it('a renewal still waiting for the server does not hold up the next beats; at most MAX_BEATS_IN_FLIGHT wait at once', async () => {
    vi.useFakeTimers();
    const slow = deferred<RenewalReport>();
    let calls = 0;
    const { beat } = heartbeat({
      renew: () => {
        calls += 1;
        return slow.promise;
      },
    });
    beat.start();
    await vi.advanceTimersByTimeAsync(250);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(100 * (MAX_BEATS_IN_FLIGHT + 2));
    expect(calls).toBe(MAX_BEATS_IN_FLIGHT);
    slow.resolve({ lost: [], cancelled: [] });
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(MAX_BEATS_IN_FLIGHT + 1);
    await beat.stop();
  });

  it('passes on a report only when it says something; a failed renewal is reported as the error', async () => {
    const report: RenewalReport = { lost: [run.id], cancelled: [] };
    const cancelled: RenewalReport = { lost: [], cancelled: [{ id: run.id, reason: 'ops' }] };
    const answers: (RenewalReport | Error)[] = [{ lost: [], cancelled: [] }, report, cancelled, new Error('down')];
    const { beat, reports, results } = heartbeat({
      renew: async () => {
        const answer = answers.shift() as RenewalReport | Error;
        if (answer instanceof Error) throw answer;
        return answer;
      },
    });
    for (let n = 0; n < 4; n += 1) await beat.beat();
    expect(reports).toEqual([report, cancelled]);
    expect(results.slice(0, 3)).toEqual([null, null, null]);
    expect((results[3] as Error).message).toBe('down');
  });
});
