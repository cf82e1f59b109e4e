/**
 * Disagreeing clocks and operators acting while jobs run: a clock 10 s ahead never recovers a
 * healthy job of another instance; `unschedule()` or `schedule()` during a run is never undone by
 * the run's outcome write; a result too large to store fails only its own job.
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { type Clock, JobStatus } from '../../src/index.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

const skewed = (ms: number): Clock => ({ now: () => new Date(Date.now() + ms) });

describe('clock skew', () => {
  it.each([
    ['10 s ahead', 10_000],
    ['10 s behind', -10_000],
  ])('an instance whose clock is %s never recovers a healthy job of another: it runs once', async (_, skew) => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const options = { lockTimeout: 2_000, heartbeatInterval: 200, staleCheckInterval: 150, pollInterval: 50 };
    const owner = createMonque(db, { collectionName, ...options, instanceId: 'on-time' });
    const observer = createMonque(db, { collectionName, ...options, instanceId: 'skewed', clock: skewed(skew) });
    let runs = 0;
    const recovered: unknown[] = [];
    for (const monque of [owner, observer]) {
      monque.on('job:recovered', ({ job }) => recovered.push(job));
      monque.worker('long', async () => {
        runs += 1;
        await new Promise((resolve) => setTimeout(resolve, 3_000));
      });
    }
    const job = await owner.enqueue('long', {});
    await owner.start();
    await nextEvent(owner, 'job:start');
    await observer.start();
    await waitUntil(
      async () => (await jobsOf(db, owner).findOne({ _id: job._id }))?.status === JobStatus.COMPLETED,
      'the job to complete',
      { timeoutMs: 15_000 },
    );
    await Promise.all([owner.stop(), observer.stop()]);
    expect(recovered).toEqual([]);
    expect(runs).toBe(1);
  });
});

describe('operators win races with running jobs', () => {
  it('unschedule() during a run: the run is the last one, its outcome does not bring the schedule back', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const release = deferred();
    monque.worker('nightly', () => release.promise);
    const schedule = await monque.schedule('* * * * *', 'nightly', {});
    await jobsOf(db, monque).updateOne({ _id: schedule._id }, { $set: { nextRunAt: new Date(Date.now() - 1000) } });
    await monque.start();
    await nextEvent(monque, 'job:start');
    expect(await monque.unschedule('nightly')).toBe(true);
    release.resolve();
    await nextEvent(monque, 'job:complete');
    await monque.stop();
    expect(await jobsOf(db, monque).findOne({ _id: schedule._id })).toMatchObject({ status: JobStatus.COMPLETED });
    expect((await jobsOf(db, monque).findOne({ _id: schedule._id }))?.repeatInterval).toBeUndefined();
    expect(await jobsOf(db, monque).countDocuments({ status: JobStatus.PENDING })).toBe(0);
  });

  it('schedule() with a new cron during a run: the next run follows the new cron', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const release = deferred();
    monque.worker('report', () => release.promise);
    const first = await monque.schedule('0 0 1 1 *', 'report', { v: 1 });
    await jobsOf(db, monque).updateOne({ _id: first._id }, { $set: { nextRunAt: new Date(Date.now() - 1000) } });
    await monque.start();
    await nextEvent(monque, 'job:start');
    await monque.schedule('*/5 * * * *', 'report', { v: 2 });
    release.resolve();
    await nextEvent(monque, 'job:complete');
    await monque.stop();
    const stored = await jobsOf(db, monque).findOne({ _id: first._id });
    expect(stored).toMatchObject({ status: JobStatus.PENDING, repeatInterval: '*/5 * * * *', data: { v: 2 } });
    expect((stored?.nextRunAt.getTime() ?? 0) - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    expect(await jobsOf(db, monque).countDocuments({ name: 'report' })).toBe(1);
  });
});

describe('a poison outcome', () => {
  it('a result too large to store fails only its own job; the others of the batch complete without job:error', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const errors: Error[] = [];
    monque.on('job:error', ({ error }) => errors.push(error));
    const gate = deferred();
    monque.worker(
      'export',
      async (job) => {
        await gate.promise;
        return (job.data as { big: boolean }).big ? 'x'.repeat(5 * 1024 * 1024) : { ok: true };
      },
      { concurrency: 5 },
    );
    const jobs = await monque.enqueueMany(
      Array.from({ length: 5 }, (_, i) => ({ name: 'export', data: { big: i === 2 } })),
    );
    await monque.start();
    await waitUntil(
      async () => (await jobsOf(db, monque).countDocuments({ status: JobStatus.PROCESSING })) === 5,
      'all five to run',
    );
    gate.resolve();
    await waitUntil(
      async () =>
        (await jobsOf(db, monque).countDocuments({ status: { $in: [JobStatus.COMPLETED, JobStatus.FAILED] } })) === 5,
      'all five to finish',
    );
    await monque.stop();
    const poisoned = await jobsOf(db, monque).findOne({ _id: jobs[2]?._id });
    expect(poisoned).toMatchObject({ status: JobStatus.FAILED });
    expect(poisoned?.failReason).toMatch(/result is \d+ bytes as BSON; the limit is/);
    expect(await jobsOf(db, monque).countDocuments({ status: JobStatus.COMPLETED, result: { ok: true } })).toBe(4);
    expect(errors).toEqual([]);
  });

  it('an error message too large to store is cut: the failure is written at once, no job:error, nothing left running', async () => {
    const db = await getDb();
    const monque = createMonque(db, { maxRetries: 0 });
    const errors: Error[] = [];
    monque.on('job:error', ({ error }) => errors.push(error));
    monque.worker('noisy', () => {
      throw new Error('m'.repeat(17 * 1024 * 1024));
    });
    const job = await monque.enqueue('noisy', {});
    const failed = nextEvent(monque, 'job:fail');
    await monque.start();
    const { error } = await failed;
    await monque.stop();
    expect(error.message).toHaveLength(17 * 1024 * 1024);
    const stored = await jobsOf(db, monque).findOne({ _id: job._id });
    expect(stored).toMatchObject({ status: JobStatus.FAILED });
    expect(stored?.failReason).toMatch(/^m{65536}… \(\d+ more characters\)$/);
    expect(errors).toEqual([]);
  });
});
