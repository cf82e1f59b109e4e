/**
 * `stop()`: stops claiming at once, waits for running handlers, gives up after
 * `shutdownTimeout` with a `ShutdownTimeoutError` listing the running jobs, and is harmless
 * when repeated, concurrent or early.
 */
import { freshCollectionName, getTestUri, waitUntil } from '@monque/test-backend';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { type Job, JobStatus, MonqueErrorCode, ShutdownTimeoutError } from '../src/index.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb, waitForStatus } from './helpers/monque.js';
import { startPausableProxy } from './helpers/pausable-proxy.js';

const getDb = useTestDb(import.meta.url);

describe('stop()', () => {
  it('claims nothing once stop() has begun, even when a slot frees up', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const release = deferred();
    const started: string[] = [];
    monque.worker(
      'export',
      async (job: Job<{ n: number }>) => {
        started.push(`export-${job.data.n}`);
        await release.promise;
      },
      { concurrency: 1 },
    );
    await monque.start();
    const first = await monque.enqueue('export', { n: 1 });
    await nextEvent(monque, 'job:start');
    const second = await monque.enqueue('export', { n: 2 });

    const stopped = monque.stop();
    expect(monque.isRunning).toBe(false);
    const third = await monque.enqueue('export', { n: 3 });
    release.resolve();
    await stopped;

    expect(started).toEqual(['export-1']);
    expect((await jobsOf(db, monque).findOne({ _id: first._id }))?.status).toBe(JobStatus.COMPLETED);
    expect((await jobsOf(db, monque).findOne({ _id: second._id }))?.status).toBe(JobStatus.PENDING);
    expect((await jobsOf(db, monque).findOne({ _id: third._id }))?.status).toBe(JobStatus.PENDING);
  });

  it('waits for running handlers and their results before resolving', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const release = deferred();
    const order: string[] = [];
    monque.worker('render', async () => {
      await release.promise;
      order.push('handler returned');
    });
    monque.on('job:complete', () => order.push('job:complete'));
    await monque.start();
    const job = await monque.enqueue('render', {});
    await nextEvent(monque, 'job:start');

    let stopResolved = false;
    const stopped = monque.stop().then(() => {
      stopResolved = true;
      order.push('stop resolved');
    });
    // The handler is still blocked: stop() cannot have resolved, however long we look.
    await waitForStatus(db, monque, job._id, JobStatus.PROCESSING);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopResolved).toBe(false);
    release.resolve();
    await stopped;
    expect(order).toEqual(['handler returned', 'job:complete', 'stop resolved']);
    expect((await jobsOf(db, monque).findOne({ _id: job._id }))?.status).toBe(JobStatus.COMPLETED);
  });

  it('on shutdownTimeout aborts the signals of running jobs, gives them back, emits a ShutdownTimeoutError listing them', async () => {
    const db = await getDb();
    const monque = createMonque(db, { shutdownTimeout: 200 });
    const release = deferred();
    let startedCount = 0;
    const reasons: unknown[] = [];
    monque.worker(
      'stuck',
      async (_job, { signal }) => {
        startedCount += 1;
        signal.addEventListener('abort', () => reasons.push(signal.reason));
        await release.promise;
      },
      { concurrency: 2 },
    );
    monque.worker('quick', () => {});
    const quick = await monque.enqueue('quick', {});
    const stuck = await Promise.all([monque.enqueue('stuck', { n: 1 }), monque.enqueue('stuck', { n: 2 })]);
    await monque.start();
    await waitForStatus(db, monque, quick._id, JobStatus.COMPLETED);
    await waitUntil(() => startedCount === 2, 'both stuck handlers to start');

    const errors: Error[] = [];
    monque.on('job:error', ({ error }) => errors.push(error));
    const began = Date.now();
    await monque.stop();
    const waited = Date.now() - began;
    expect(waited).toBeGreaterThanOrEqual(190);

    expect(errors).toHaveLength(1);
    const error = errors[0] as ShutdownTimeoutError;
    expect(error).toBeInstanceOf(ShutdownTimeoutError);
    expect(error.code).toBe(MonqueErrorCode.SHUTDOWN_TIMEOUT);
    const incomplete = error.incompleteJobs.map((job) => job._id.toHexString()).sort();
    expect(incomplete).toEqual(stuck.map((job) => job._id.toHexString()).sort());
    expect(error.message).toContain(stuck[0]?._id.toHexString());

    expect(reasons).toHaveLength(2);
    for (const reason of reasons) expect(reason).toBe(error);
    // Given back unstarted-like: pending, no failure charged, so another instance runs them at once.
    for (const job of stuck) {
      expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
        status: JobStatus.PENDING,
        failCount: 0,
        attempts: 0,
      });
    }
    // The handlers that ignored the signal finish later: their results are discarded.
    release.resolve();
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const job of stuck)
      expect((await jobsOf(db, monque).findOne({ _id: job._id }))?.status).toBe(JobStatus.PENDING);
  });

  it('is harmless when called twice, concurrently, or before start()', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    await monque.stop();
    await monque.stop();
    expect(monque.isRunning).toBe(false);
    expect(monque.isHealthy()).toBe(false);

    monque.worker('noop', () => {});
    await monque.start();
    const concurrent = [monque.stop(), monque.stop(), monque.stop()];
    await Promise.all(concurrent);
    expect(monque.isRunning).toBe(false);
    await monque.stop();
  });

  it('stop() right after start() (not awaited) wins: nothing is left running', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    monque.worker('noop', () => {});
    const started = monque.start();
    await monque.stop();
    await started;
    expect(monque.isRunning).toBe(false);
  });

  it('start() after stop() runs jobs again', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const ran: number[] = [];
    monque.worker('again', (job: Job<{ n: number }>) => {
      ran.push(job.data.n);
    });
    await monque.start();
    await monque.enqueue('again', { n: 1 });
    await nextEvent(monque, 'job:complete');
    await monque.stop();

    await monque.enqueue('again', { n: 2 });
    await monque.start();
    expect(monque.isRunning).toBe(true);
    await nextEvent(monque, 'job:complete');
    expect(ran).toEqual([1, 2]);
    await monque.stop();
  });

  it('stop() called while a restart is starting stops the restarted scheduler', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    monque.worker('noop', () => {});
    await monque.start();
    await monque.stop();
    const restarted = monque.start();
    await monque.stop();
    await restarted.catch(() => {});
    expect(monque.isRunning).toBe(false);
  });

  it('resolves about shutdownTimeout after it was called even when the database is gone, listing the unstored job', async () => {
    const db = await getDb();
    const link = await startPausableProxy(getTestUri());
    // A driver that would wait 20 s to find a server: stop() must not wait for it.
    const client = await new MongoClient(link.uri, { serverSelectionTimeoutMS: 20_000 }).connect();
    try {
      const monque = createMonque(client.db(db.databaseName), {
        collectionName: freshCollectionName(db),
        shutdownTimeout: 500,
      });
      const release = deferred();
      monque.worker('upload', () => release.promise);
      await monque.start();
      const job = await monque.enqueue('upload', {});
      await nextEvent(monque, 'job:start');
      const timeout = nextEvent(monque, 'job:error', ({ error }) => error instanceof ShutdownTimeoutError);

      link.pause();
      release.resolve();
      const began = Date.now();
      await monque.stop();
      const elapsed = Date.now() - began;

      expect(elapsed).toBeLessThan(3_000);
      const { error } = await timeout;
      expect((error as ShutdownTimeoutError).incompleteJobs.map((j) => j._id.toHexString())).toEqual([
        job._id.toHexString(),
      ]);
    } finally {
      await link.close();
      await client.close(true).catch(() => {});
    }
  });
});
