/**
 * `progress(value)`: stored as `job.progress`, emitted as `job:progress`; writes coalesced (one in
 * flight per job, the latest waiting value next) and fenced on the run's claim; bad values rejected
 * with `InvalidArgumentError` and never written. Update commands are counted on the wire.
 */
import { freshCollectionName } from '@monque/test-backend';
import type { CommandStartedEvent } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  type Job,
  type JobContext,
  JobLockLostError,
  type JobProgressEvent,
  JobStatus,
} from '../../src/index.js';
import { openCommandLog } from '../helpers/command-log.js';
import { createMonque, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** The progress values sent in update commands, in order. */
function progressWrites(commands: readonly CommandStartedEvent[]): unknown[] {
  return commands
    .filter((event) => event.commandName === 'update')
    .flatMap((event) => event.command.updates as { u: { $set?: Record<string, unknown> } }[])
    .filter((update) => update.u.$set !== undefined && 'progress' in update.u.$set)
    .map((update) => update.u.$set?.progress);
}

type Jobs = ReturnType<typeof jobsOf>;

/**
 * Runs one job whose handler is `body` (given the raw jobs collection too) on a monitored
 * connection, until its run is over (completed, failed, or reported lost); returns what was seen.
 */
async function runWithLog(
  body: (job: Job, context: JobContext, jobs: Jobs) => Promise<unknown>,
  workerOptions: Parameters<ReturnType<typeof createMonque>['worker']>[2] = {},
) {
  const db = await getDb();
  const log = await openCommandLog(db.databaseName);
  try {
    const monque = createMonque(log.db, { collectionName: freshCollectionName(db) });
    const jobs = jobsOf(db, monque);
    const events: JobProgressEvent[] = [];
    const errors: Error[] = [];
    monque.on('job:progress', (event) => events.push(event));
    monque.on('job:error', ({ error }) => errors.push(error));
    monque.worker('report', (job, context) => body(job, context, jobs), workerOptions);
    const over = new Promise<void>((resolve) => {
      monque.on('job:complete', () => resolve());
      monque.on('job:fail', () => resolve());
      monque.on('job:error', ({ error }) => error instanceof JobLockLostError && resolve());
    });
    await monque.start();
    const job = await monque.enqueue('report', {});
    await over;
    await monque.stop();
    const stored = (await jobs.findOne({ _id: job._id })) as Job;
    return { stored, events, errors, writes: progressWrites(log.commands) };
  } finally {
    await log.close();
  }
}

describe('progress', () => {
  it('stores a number or an object as job.progress and emits job:progress once stored', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const seenInDb: unknown[] = [];
    const events: JobProgressEvent[] = [];
    monque.on('job:progress', async (event) => {
      events.push(event);
      seenInDb.push((await jobsOf(db, monque).findOne({ _id: event.job._id }))?.progress);
    });
    monque.worker('import', async (_job, { progress }) => {
      await progress(40);
      await progress({ rows: 120, of: 300 });
    });
    await monque.start();
    const job = await monque.enqueue('import', {});
    await nextEvent(monque, 'job:complete');
    await monque.stop();
    expect(events.map((event) => event.progress)).toEqual([40, { rows: 120, of: 300 }]);
    expect(events.map((event) => event.job.progress)).toEqual([40, { rows: 120, of: 300 }]);
    expect(events.every((event) => event.job._id.equals(job._id))).toBe(true);
    expect(seenInDb[0]).toEqual(40);
    const stored = (await jobsOf(db, monque).findOne({ _id: job._id })) as Job;
    // The last value stays on the finished job.
    expect(stored).toMatchObject({ status: JobStatus.COMPLETED, progress: { rows: 120, of: 300 } });
  });

  it('coalesces 100 calls in a loop into two writes: the first value, then the latest', async () => {
    const settled: number[] = [];
    const { stored, events, writes } = await runWithLog(async (_job, { progress }) => {
      const calls: Promise<void>[] = [];
      for (let percent = 1; percent <= 100; percent += 1) {
        calls.push(progress(percent).then(() => void settled.push(percent)));
      }
      await Promise.all(calls);
    });
    expect(settled).toHaveLength(100);
    expect(writes).toEqual([1, 100]);
    expect(events.map((event) => event.progress)).toEqual([1, 100]);
    expect(stored.progress).toBe(100);
  });

  it('is fenced on the claim: once another claim holds the job, progress writes nothing', async () => {
    const answers: string[] = [];
    const { stored, events, errors, writes } = await runWithLog(async (job, { progress }, jobs) => {
      await progress(10);
      // Another instance takes the job over (what a stale recovery followed by its claim does).
      await jobs.updateOne({ _id: job._id }, { $set: { claimToken: 'another-claim', owner: 'another-instance' } });
      await progress(20).then(
        () => answers.push('resolved'),
        () => answers.push('rejected'),
      );
      return 'done';
    });
    // The write was sent and the database refused it (this instance did not know yet).
    expect(writes).toEqual([10, 20]);
    expect(answers).toEqual(['resolved']);
    expect(events.map((event) => event.progress)).toEqual([10]);
    expect(stored).toMatchObject({ progress: 10, claimToken: 'another-claim', status: JobStatus.PROCESSING });
    // Nor is the outcome of the run that lost its job written.
    expect(stored).not.toHaveProperty('result');
    expect(errors.some((error) => error instanceof JobLockLostError)).toBe(true);
  });

  it('once the run is over (here: timed out), progress resolves and sends nothing', async () => {
    const { stored, events, writes } = await runWithLog(
      async (_job, { progress, signal }) => {
        await progress(5);
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        // The handler keeps reporting after its signal aborted: nothing is sent.
        await progress(50);
      },
      { timeout: 100, maxRetries: 1 },
    );
    expect(writes).toEqual([5]);
    expect(events.map((event) => event.progress)).toEqual([5]);
    expect(stored).toMatchObject({ status: JobStatus.FAILED, progress: 5 });
  });

  it('rejects bad values with InvalidArgumentError naming progress, and writes none of them', async () => {
    const big = { blob: 'x'.repeat(70 * 1024) };
    const bad: unknown[] = [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      '50',
      true,
      null,
      undefined,
      10n,
      [1, 2],
      new Date(),
      new Map([['a', 1]]),
      { step: () => 1 },
      { $set: { status: 'completed' } },
      big,
    ];
    const outcomes: PromiseSettledResult<void>[] = [];
    const { stored, events, writes } = await runWithLog(async (_job, { progress }) => {
      for (const value of bad) outcomes.push(...(await Promise.allSettled([progress(value as never)])));
      await progress(-12.5); // any finite number is accepted
    });
    expect(outcomes).toHaveLength(bad.length);
    for (const [index, outcome] of outcomes.entries()) {
      expect(outcome.status, `value #${index}`).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason;
      expect(reason, `value #${index}`).toBeInstanceOf(InvalidArgumentError);
      expect((reason as InvalidArgumentError).argument).toBe('progress');
    }
    expect(writes).toEqual([-12.5]);
    expect(events.map((event) => event.progress)).toEqual([-12.5]);
    expect(stored).toMatchObject({ status: JobStatus.COMPLETED, progress: -12.5 });
  });
});

describe('progress of a later run', () => {
  it("starts afresh: a retry does not show the failed run's progress", async () => {
    const db = await getDb();
    const monque = createMonque(db, { baseRetryInterval: 10 });
    const seen: unknown[] = [];
    monque.worker('steps', async (job, { progress }) => {
      seen.push((await jobsOf(db, monque).findOne({ _id: job._id }))?.progress);
      if (job.failCount === 0) {
        await progress(60);
        throw new Error('first run fails');
      }
    });
    await monque.start();
    await monque.enqueue('steps', {});
    await nextEvent(monque, 'job:complete');
    await monque.stop();
    expect(seen).toEqual([undefined, undefined]);
  });
});
