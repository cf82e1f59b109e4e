/**
 * The chaos run's invariant checker on hand-made records, invariants 5 to 12: schedules, processes,
 * what the producers' and the operator's calls promised (enqueue, cancel, pause, delete), and the
 * cap on excuses.
 */
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { ClientExit } from '../../chaos/clients.js';
import { saysMayBeApplied } from '../../chaos/evidence.js';
import { type JobRecord, MAX_EXCUSES, type RunRecord } from '../../chaos/invariants.js';
import type { CallRecord, SentCommand } from '../../chaos/messages.js';
import type { LedgerRun } from '../../chaos/settings.js';
import {
  at,
  call,
  check,
  completed,
  enqueued,
  failing,
  incarnation,
  instances,
  job,
  run,
  T,
  text,
} from './chaos-records.js';

describe('chaos invariants: processes, producers and the operator', () => {
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
      // The error's own flag wins over its words.
      expect(saysMayBeApplied('ConnectionError: enqueue failed: read ECONNRESET', true)).toBe(true);
      expect(saysMayBeApplied('ConnectionError: it may have been applied', false)).toBe(false);
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
    // Its claim turn began before (lockedAt 1 s), but B's claim reached the server only at 1.1 s.
    const late = { ...run(slow, 'B', 1_200, 1_300, 'threw'), claimedAt: at(1_000) };
    const forwarded = [{ slot: 1, at: T + 1_100, kind: 'claim' as const, jobIds: [jobId] }];
    expect(text(check({ jobs: [slow], runs: [before, late], calls: [cancel], refreshes: forwarded })[9])).toMatch(
      /claimed by B at .*, 50 ms after its cancellation was written/,
    );
    expect(check({ jobs: [slow], runs: [before, late], calls: [cancel] })[9]?.pass).toBe(true);
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
      expect.stringMatching(/claimed by A between .* and .*, 495 ms or more after pause\(\) resolved/),
    ]);
    // Another name is not paused; a resume that may have been applied during the pause ends it.
    const slow = { ...completed('slow', 's600'), runId: 's600' };
    expect(
      check({ jobs: [slow], runs: [run(slow, 'A', 600, 610, 'ok', 's600')], calls: [pause, resume] })[10]?.pass,
    ).toBe(true);
    const early = call('resume', 50, 400, { name: 'chaos.fast', error: 'ConnectionError: read ECONNRESET' });
    expect(check({ jobs: jobsAt, runs, calls: [pause, early, resume] })[10]?.pass).toBe(true);
    // A claim turn that began 10 ms before resume() and entered its handler after: it may have read
    // the resumed state, so it is not blamed; one that entered its handler before resume() is.
    const straddling = { ...completed('fast', 'st'), runId: 'st' };
    const turn = (start: number) => ({ ...run(straddling, 'A', start, start + 10, 'ok', 'st'), claimedAt: at(2_990) });
    expect(check({ jobs: [straddling], runs: [turn(3_060)], calls: [pause, resume] })[10]?.pass).toBe(true);
    expect(check({ jobs: [straddling], runs: [turn(2_995)], calls: [pause, resume] })[10]?.pass).toBe(false);
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

  it(`16: more than ${MAX_EXCUSES} excuses fail the run, whatever faults forced them`, () => {
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
    const five = check(killedClaims(MAX_EXCUSES, MAX_EXCUSES))[16];
    expect(five).toMatchObject({ pass: true, summary: '5 excuses for 5 jobs, forced by 5 faults' });
    expect(five?.note).toMatch(/^exit of K0 \(killed\): 1 job\(s\); exit of K1 \(killed\): 1 job\(s\)/);
    const six = check(killedClaims(MAX_EXCUSES + 1, MAX_EXCUSES + 1));
    expect(six[16]).toMatchObject({ pass: false, summary: '6 excuses for 6 jobs, forced by 6 faults' });
    expect(six[4]?.pass).toBe(true);
    expect(check(killedClaims(6, 1))[16]).toMatchObject({
      pass: false,
      summary: '6 excuses for 6 jobs, forced by 1 faults',
      note: 'exit of K0 (killed): 6 job(s)',
    });
  });
});
