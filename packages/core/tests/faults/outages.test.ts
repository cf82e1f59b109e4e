/**
 * Network outages and lock trouble: results written through an outage are never run twice, a run
 * whose lock is taken over stops (its signal aborts with JobLockLostError) while the job still ends
 * as its runs behaved, and database errors reach callers as ConnectionError in bounded time.
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { ConnectionError, JobLockLostError, JobStatus } from '../../src/index.js';
import { faultyMonque, isOutcome, isRenewal } from '../helpers/faulty.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb, waitForStatus } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

describe('a 3 s network loss with lockTimeout 2 s', () => {
  it('runs none of 100 jobs twice: outcomes wait out the outage, and no instance recovers live jobs', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const options = { lockTimeout: 2_000, heartbeatInterval: 200, staleCheckInterval: 200, pollInterval: 100 };
    const a = await faultyMonque(db, collectionName, { ...options, instanceId: 'a' });
    const b = await faultyMonque(db, collectionName, { ...options, instanceId: 'b' });
    const runs = new Map<string, number>();
    const release = deferred();
    for (const { monque } of [a, b]) {
      monque.worker(
        'work',
        async (job) => {
          runs.set(job._id.toHexString(), (runs.get(job._id.toHexString()) ?? 0) + 1);
          if ((job.data as { n: number }).n < 20) await release.promise;
        },
        { concurrency: 20 },
      );
    }
    await a.monque.enqueueMany(Array.from({ length: 100 }, (_, n) => ({ name: 'work', data: { n } })));
    await Promise.all([a.monque.start(), b.monque.start()]);
    await waitUntil(() => runs.size >= 20, 'the first jobs to start');
    a.proxy.partition({ mode: 'blackhole' });
    b.proxy.partition({ mode: 'blackhole' });
    release.resolve();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    a.proxy.heal();
    b.proxy.heal();
    await waitUntil(
      async () => (await jobsOf(db, a.monque).countDocuments({ status: JobStatus.COMPLETED })) === 100,
      'all 100 jobs to complete',
      { timeoutMs: 30_000 },
    );
    await Promise.all([a.monque.stop(), b.monque.stop()]);
    const twice = [...runs.values()].filter((count) => count > 1);
    expect(twice).toEqual([]);
    expect(await jobsOf(db, a.monque).countDocuments({ failCount: { $gt: 0 } })).toBe(0);
  }, 60_000);
});

describe('a lost lock', () => {
  it("aborts the stale run's signal with JobLockLostError; the job ends completed, run once more by the instance that took it", async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const options = { lockTimeout: 600, heartbeatInterval: 100, staleCheckInterval: 100, pollInterval: 50 };
    const owner = await faultyMonque(db, collectionName, { ...options, instanceId: 'owner' });
    const rescuer = createMonque(db, { collectionName, ...options, instanceId: 'rescuer' });
    const reasons: unknown[] = [];
    const finish = deferred();
    owner.monque.worker('slow', async (_job, { signal }) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      reasons.push(signal.reason);
      await finish.promise;
    });
    let rescuerRuns = 0;
    rescuer.worker('slow', () => {
      rescuerRuns += 1;
    });
    const job = await owner.monque.enqueue('slow', {});
    await owner.monque.start();
    await nextEvent(owner.monque, 'job:start');
    // The owner is cut off for longer than lockTimeout: a genuine lock expiry, seen by the other
    // instance, which takes the job over. Once back, the owner's next renewal learns it.
    owner.proxy.partition({ mode: 'blackhole' });
    await rescuer.start();
    await waitUntil(() => rescuerRuns === 1, 'the other instance to take the job over', { timeoutMs: 10_000 });
    owner.proxy.heal();
    await waitUntil(() => reasons.length === 1, 'the stale run to be told it lost its lock', { timeoutMs: 10_000 });
    finish.resolve();
    expect(reasons[0]).toBeInstanceOf(JobLockLostError);
    await waitUntil(
      async () => (await jobsOf(db, rescuer).findOne({ _id: job._id }))?.status === JobStatus.COMPLETED,
      'the job to complete',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await Promise.all([owner.monque.stop(), rescuer.stop()]);
    expect(rescuerRuns).toBe(1);
    expect(await jobsOf(db, rescuer).findOne({ _id: job._id })).toMatchObject({ status: JobStatus.COMPLETED });
  });

  it('a job whose every run succeeds ends completed after a 1 s heartbeat outage of its only instance', async () => {
    const db = await getDb();
    const options = { lockTimeout: 500, heartbeatInterval: 100, staleCheckInterval: 100, pollInterval: 50 };
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), options);
    let runs = 0;
    monque.worker('steady', async (_job, { signal }) => {
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      // A handler that heeds its signal (one that returns all the same has its success written).
      signal.throwIfAborted();
    });
    const job = await monque.enqueue('steady', {});
    await monque.start();
    await nextEvent(monque, 'job:start');
    const dropped = proxy.dropRequest(isRenewal, { times: Number.POSITIVE_INFINITY });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    dropped.cancel();
    const { job: done } = await nextEvent(monque, 'job:complete');
    await monque.stop();
    expect(done._id.equals(job._id)).toBe(true);
    // Its lock could not be renewed for lockTimeout − heartbeatInterval: the owner could no longer
    // be sure it held the job, so the first run was aborted (JobLockLostError) and its job given
    // back once the handler settled; the second run completed it, no failure charged.
    expect(runs).toBe(2);
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.COMPLETED,
      failCount: 0,
    });
  });
});

describe('outcome writes failing for longer than lockTimeout while renewals get through', () => {
  it('the heartbeat keeps renewing the run whose outcome is pending: no other instance recovers it, it completes once', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const options = { lockTimeout: 1_000, heartbeatInterval: 150, staleCheckInterval: 100, pollInterval: 50 };
    const owner = await faultyMonque(db, collectionName, { ...options, instanceId: 'owner' });
    const watcher = createMonque(db, { ...options, collectionName, instanceId: 'watcher' });
    let runs = 0;
    for (const monque of [owner.monque, watcher]) {
      monque.worker('quick', () => {
        runs += 1;
        return { done: true };
      });
    }
    const recovered: unknown[] = [];
    watcher.on('job:recovered', ({ job }) => recovered.push(job._id));
    const outcomes = owner.proxy.dropRequest(isOutcome, { times: Number.POSITIVE_INFINITY });
    const job = await owner.monque.enqueue('quick', {});
    const started = nextEvent(owner.monque, 'job:start');
    await owner.monque.start();
    await started;
    await watcher.start();
    // The handler returned at once; its outcome cannot be written for 2.5 lock timeouts.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(outcomes.hits).toBeGreaterThan(1);
    outcomes.cancel();
    await waitForStatus(db, watcher, job._id, JobStatus.COMPLETED, 15_000);
    await Promise.all([owner.monque.stop(), watcher.stop()]);
    expect(recovered).toEqual([]);
    expect(runs).toBe(1);
    expect(await jobsOf(db, watcher).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.COMPLETED,
      failCount: 0,
      result: { done: true },
    });
  }, 30_000);
});

describe('database errors of the engine', () => {
  it('reach job:error as ConnectionError naming what failed, with the driver error as cause', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), {
      operationTimeout: 500,
      pollInterval: 50,
    });
    monque.worker('any', () => {});
    await monque.start();
    const reported = nextEvent(monque, 'job:error');
    proxy.partition({ mode: 'reset' });
    const { error } = await reported;
    proxy.heal();
    await monque.stop();
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/^claiming jobs failed: /);
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('an outage while a job runs', () => {
  it('each failing engine operation says which it was: claiming, renewing locks, reading locks, storing progress', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), {
      operationTimeout: 300,
      pollInterval: 100,
      heartbeatInterval: 100,
      staleCheckInterval: 200,
      lockTimeout: 60_000,
    });
    monque.worker(
      'reporting',
      async (_job, { signal, progress }) => {
        for (let step = 0; step < 40 && !signal.aborted; step += 1) {
          await progress(step);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      },
      { concurrency: 2 },
    );
    const messages: string[] = [];
    monque.on('job:error', ({ error }) => messages.push(error.message));
    await monque.enqueue('reporting', {});
    const started = nextEvent(monque, 'job:start');
    await monque.start();
    await started;
    proxy.partition({ mode: 'blackhole' });
    await waitUntil(
      () =>
        ['claiming jobs', 'renewing locks', 'reading locks', 'storing progress'].every((what) =>
          messages.some((message) => message.startsWith(what)),
        ),
      'an error of each operation',
      { timeoutMs: 10_000 },
    );
    proxy.heal();
    await monque.stop();
  });
});

describe('database errors reach callers', () => {
  it.each(['blackhole', 'reset'] as const)(
    'as ConnectionError with the driver error as cause, in bounded time (%s)',
    async (mode) => {
      const db = await getDb();
      const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { operationTimeout: 700 });
      await monque.enqueue('warm-up', {});
      proxy.partition({ mode });
      const began = Date.now();
      const error = await monque.enqueue('during-outage', {}).catch((thrown: unknown) => thrown);
      const waited = Date.now() - began;
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).cause).toBeInstanceOf(Error);
      expect((error as ConnectionError).message).toContain("enqueue 'during-outage' failed");
      expect(waited).toBeLessThan(3_000);
      for (const call of [() => monque.getJobs(), () => monque.countJobs(), () => monque.unschedule('x')]) {
        expect(await call().catch((thrown: unknown) => thrown)).toBeInstanceOf(ConnectionError);
      }
      proxy.heal();
    },
  );
});
