import { waitUntil } from '@monque/test-backend';
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { DuplicateWorkerError, type Job, JobStatus, MonqueError, MonqueErrorCode } from '../src/index.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb, waitForStatus } from './helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** Counts handlers running at once, and the most seen together. */
function concurrencyProbe(holdMs: number): { handler: () => Promise<void>; peak: () => number; runs: () => number } {
  let running = 0;
  let peak = 0;
  let runs = 0;
  return {
    handler: async () => {
      running += 1;
      runs += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, holdMs));
      running -= 1;
    },
    peak: () => peak,
    runs: () => runs,
  };
}

describe('worker', () => {
  it('hands the claimed job to the handler', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const received: Job<{ to: string }>[] = [];
    monque.worker<{ to: string }>('email', (job) => {
      received.push(job);
    });
    await monque.start();
    const job = await monque.enqueue('email', { to: 'ada@example.com' });
    await nextEvent(monque, 'job:complete', ({ job: done }) => done._id.equals(job._id));
    expect(received).toHaveLength(1);
    const handed = received[0] as Job<{ to: string }>;
    expect(handed._id).toBeInstanceOf(ObjectId);
    expect(handed._id.equals(job._id)).toBe(true);
    expect(handed.name).toBe('email');
    expect(handed.data).toEqual({ to: 'ada@example.com' });
    expect(handed.status).toBe(JobStatus.PROCESSING);
    expect(handed.lockedAt).toBeInstanceOf(Date);
    expect(handed.owner).toBe(monque.instanceId);
    expect(handed.failCount).toBe(0);
    expect(handed).not.toHaveProperty('claimToken');
    expect(handed).not.toHaveProperty('activeKey');
    await monque.stop();
  });

  it('awaits the returned promise before completing the job', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const release = deferred();
    const entered = deferred();
    let finished = false;
    monque.worker('slow', async () => {
      entered.resolve();
      await release.promise;
      finished = true;
    });
    await monque.start();
    const job = await monque.now('slow', {});
    await entered.promise;
    const during = await jobsOf(db, monque).findOne({ _id: job._id });
    expect(during?.status).toBe(JobStatus.PROCESSING);
    expect(during?.lockedAt).toBeInstanceOf(Date);
    expect(during?.owner).toBe(monque.instanceId);
    const completed = nextEvent(monque, 'job:complete', ({ job: done }) => done._id.equals(job._id));
    release.resolve();
    const { job: done, duration } = await completed;
    expect(finished).toBe(true);
    expect(done.status).toBe(JobStatus.COMPLETED);
    expect(duration).toBeGreaterThanOrEqual(0);
    await monque.stop();
  });

  it('marks a finished job completed with updatedAt and completedAt, lock released', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    monque.worker('finish', async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
    });
    await monque.start();
    const job = await monque.now('finish', { x: 1 });
    const { job: done, duration } = await nextEvent(monque, 'job:complete', ({ job: j }) => j._id.equals(job._id));
    expect(duration).toBeGreaterThanOrEqual(25);
    expect(done.status).toBe(JobStatus.COMPLETED);
    expect(done.lockedAt).toBeNull();
    expect(done).not.toHaveProperty('owner');
    const stored = await waitForStatus(db, monque, job._id, JobStatus.COMPLETED);
    expect(stored.updatedAt.getTime()).toBeGreaterThan(job.updatedAt.getTime());
    expect(stored.completedAt).toBeInstanceOf(Date);
    expect((stored.completedAt as Date).getTime()).toBeGreaterThanOrEqual(
      (stored.startedAt as Date).getTime() + duration,
    );
    expect(stored.lockedAt).toBeNull();
    expect(stored).not.toHaveProperty('owner');
    expect(stored.failCount).toBe(0);
    expect(stored.data).toEqual({ x: 1 });
    await monque.stop();
  });

  it('emits job:start before the handler runs', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const order: string[] = [];
    monque.on('job:start', (job) => order.push(`start ${job.status}`));
    monque.on('job:complete', () => order.push('complete'));
    monque.worker('observed', () => {
      order.push('handler');
    });
    await monque.start();
    const job = await monque.now('observed', {});
    await nextEvent(monque, 'job:complete', ({ job: done }) => done._id.equals(job._id));
    expect(order).toEqual(['start processing', 'handler', 'complete']);
    await monque.stop();
  });

  it('never claims a job whose name has no worker in this instance', async () => {
    const db = await getDb();
    const mine = createMonque(db);
    mine.worker('registered', () => {});
    const orphan = await mine.now('unregistered', { keep: true });
    await mine.start();
    const orphanWhileRunning = await mine.now('unregistered', { keep: 'too' });
    // Many claim rounds pass while these jobs run one after another.
    for (let i = 0; i < 5; i += 1) {
      const job = await mine.now('registered', { i });
      await waitForStatus(db, mine, job._id, JobStatus.COMPLETED);
    }
    const untouched = await jobsOf(db, mine).findOne({ _id: orphan._id });
    expect(untouched?.status).toBe(JobStatus.PENDING);
    expect(untouched?.lockedAt).toBeNull();
    expect(untouched).not.toHaveProperty('owner');
    expect(untouched?.updatedAt).toEqual(orphan.updatedAt);
    expect((await jobsOf(db, mine).findOne({ _id: orphanWhileRunning._id }))?.status).toBe(JobStatus.PENDING);

    // An instance that has the worker does take it.
    const other = createMonque(db, { collectionName: mine.options.collectionName });
    other.worker('unregistered', () => {});
    await other.start();
    await waitForStatus(db, other, orphan._id, JobStatus.COMPLETED);
    await waitForStatus(db, other, orphanWhileRunning._id, JobStatus.COMPLETED);
    await Promise.all([mine.stop(), other.stop()]);
  });

  it('picks up work for a worker registered after start()', async () => {
    const db = await getDb();
    const monque = createMonque(db, { pollInterval: 30_000 });
    const job = await monque.now('late', {});
    await monque.start();
    monque.worker('late', () => {});
    // The 30 s poll interval means only the registration's wake-up can run it in time.
    await nextEvent(monque, 'job:complete', ({ job: done }) => done._id.equals(job._id), 5_000);
    await monque.stop();
  });

  it('rejects a second worker for the same name and keeps the first', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const calls: string[] = [];
    monque.worker('dup', () => {
      calls.push('first');
    });
    let thrown: unknown;
    try {
      monque.worker('dup', () => {
        calls.push('second');
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DuplicateWorkerError);
    expect(thrown).toBeInstanceOf(MonqueError);
    const error = thrown as DuplicateWorkerError;
    expect(error.name).toBe('DuplicateWorkerError');
    expect(error.code).toBe(MonqueErrorCode.DUPLICATE_WORKER);
    expect(error.jobName).toBe('dup');
    expect(error.message).toContain("'dup'");

    await monque.start();
    const job = await monque.now('dup', {});
    await nextEvent(monque, 'job:complete', ({ job: done }) => done._id.equals(job._id));
    expect(calls).toEqual(['first']);
    await monque.stop();
  });
});

describe('worker concurrency', () => {
  it('runs at most `concurrency` jobs at once, and does reach it', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const probe = concurrencyProbe(200);
    monque.worker('limited', probe.handler, { concurrency: 3 });
    const jobs = await monque.enqueueMany(Array.from({ length: 10 }, (_, i) => ({ name: 'limited', data: { i } })));
    await monque.start();
    for (const job of jobs) await waitForStatus(db, monque, job._id, JobStatus.COMPLETED);
    expect(probe.runs()).toBe(10);
    expect(probe.peak()).toBe(3);
    await monque.stop();
  });

  it('uses defaultConcurrency 5 when neither the worker nor the instance says otherwise', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    expect(monque.options.defaultConcurrency).toBe(5);
    const probe = concurrencyProbe(200);
    monque.worker('default-limit', probe.handler);
    const jobs = await monque.enqueueMany(Array.from({ length: 8 }, (_, i) => ({ name: 'default-limit', data: i })));
    await monque.start();
    for (const job of jobs) await waitForStatus(db, monque, job._id, JobStatus.COMPLETED);
    expect(probe.runs()).toBe(8);
    expect(probe.peak()).toBe(5);
    await monque.stop();
  });

  it('respects the instance defaultConcurrency', async () => {
    const db = await getDb();
    const monque = createMonque(db, { defaultConcurrency: 2 });
    const probe = concurrencyProbe(150);
    monque.worker('instance-limit', probe.handler);
    const jobs = await monque.enqueueMany(Array.from({ length: 5 }, (_, i) => ({ name: 'instance-limit', data: i })));
    await monque.start();
    for (const job of jobs) await waitForStatus(db, monque, job._id, JobStatus.COMPLETED);
    expect(probe.runs()).toBe(5);
    expect(probe.peak()).toBe(2);
    await monque.stop();
  });

  it('limits each worker separately', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const one = concurrencyProbe(100);
    const two = concurrencyProbe(100);
    monque.worker('solo', one.handler, { concurrency: 1 });
    monque.worker('pair', two.handler, { concurrency: 2 });
    await monque.enqueueMany([
      ...Array.from({ length: 4 }, (_, i) => ({ name: 'solo', data: i })),
      ...Array.from({ length: 4 }, (_, i) => ({ name: 'pair', data: i })),
    ]);
    await monque.start();
    await waitUntil(() => one.runs() === 4 && two.runs() === 4, 'both workers to run 4 jobs');
    await waitUntil(
      async () => (await jobsOf(db, monque).countDocuments({ status: JobStatus.COMPLETED })) === 8,
      'all 8 jobs to be completed',
    );
    expect(one.peak()).toBe(1);
    expect(two.peak()).toBe(2);
    await monque.stop();
  });
});
