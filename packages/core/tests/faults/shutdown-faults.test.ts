/**
 * `stop()` on the bad day: a job whose cancellation was requested is never handed back to
 * `pending` at the shutdown deadline (it ends `cancelled`, and no other instance starts it), nor
 * recovered as a failed attempt when its owner died (it ends `cancelled`, reported as such); once
 * `stop()` has resolved, no outcome write is attempted and no timer is left, whatever was in
 * flight, and an outcome that could not be written is reported once.
 */
import { freshCollectionName, getTestUri, startFaultProxy, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { type Job, JobStatus } from '../../src/index.js';
import { startChildScript, useChildProcesses } from '../helpers/child-processes.js';
import { faultyMonque, isOutcome } from '../helpers/faulty.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);
useChildProcesses();

describe('stop() at its deadline', () => {
  it('a running job whose cancellation was requested ends cancelled: no other instance starts it', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    // The heartbeat is slow: the owner has not seen the cancellation when its stop() gives up.
    const slow = { collectionName, heartbeatInterval: 10_000, lockTimeout: 60_000 };
    const owner = createMonque(db, { ...slow, instanceId: 'owner', shutdownTimeout: 300 });
    const other = createMonque(db, { ...slow, instanceId: 'other', pollInterval: 50 });
    const stuck = deferred();
    owner.worker('stubborn', () => stuck.promise);
    let startedElsewhere = 0;
    other.worker('stubborn', () => {
      startedElsewhere += 1;
    });
    const job = await owner.enqueue('stubborn', {});
    const started = nextEvent(owner, 'job:start');
    await owner.start();
    await started;
    await other.start();
    await other.cancelJob(job._id, { reason: 'not needed' });
    await owner.stop();
    // The other instance polls every 50 ms: a job handed back as pending would start at once.
    await waitUntil(
      async () => (await jobsOf(db, owner).findOne({ _id: job._id }))?.status !== JobStatus.PROCESSING,
      'the job to leave processing',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    stuck.resolve();
    await other.stop();
    expect(startedElsewhere).toBe(0);
    expect(await jobsOf(db, owner).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.CANCELLED,
      cancelReason: 'not needed',
      failCount: 0,
    });
  });
});

describe('runs that finish while stop() waits for them', () => {
  it('are counted in the throughput', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const finish = deferred();
    monque.worker('closing', () => finish.promise, { concurrency: 2 });
    await monque.enqueueMany([
      { name: 'closing', data: { n: 1 } },
      { name: 'closing', data: { n: 2 } },
    ]);
    await monque.start();
    await waitUntil(
      async () => (await jobsOf(db, monque).countDocuments({ status: JobStatus.PROCESSING })) === 2,
      'both runs to start',
    );
    const stopped = monque.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    finish.resolve();
    await stopped;
    const buckets = await monque.getThroughput({ minutes: 2, name: 'closing' });
    expect(buckets.reduce((sum, bucket) => sum + bucket.completed, 0)).toBe(2);
  });
});

describe('an owner that died while its job was being cancelled', () => {
  it('the recovered job ends cancelled and is reported as job:cancelled, not job:recovered', async () => {
    const db = await getDb();
    const monque = createMonque(db, { lockTimeout: 1_000 });
    const long = new Date(Date.now() - 60 * 60_000);
    const { insertedId } = await db.collection(monque.options.collectionName).insertOne({
      name: 'orphan',
      data: {},
      status: JobStatus.PROCESSING,
      nextRunAt: long,
      priority: 0,
      lockedAt: long,
      failCount: 0,
      attempts: 1,
      createdAt: long,
      updatedAt: long,
      owner: 'gone',
      claimToken: 'claim-of-gone',
      cancelRequestedAt: long,
      cancelReason: 'not needed',
    });
    const recovered: Job[] = [];
    monque.on('job:recovered', ({ job }) => recovered.push(job));
    const cancelled = nextEvent(monque, 'job:cancelled');
    await monque.start();
    const { job } = await cancelled;
    await monque.stop();
    expect(job._id.equals(insertedId)).toBe(true);
    expect(job.status).toBe(JobStatus.CANCELLED);
    expect(recovered).toEqual([]);
    expect(await jobsOf(db, monque).findOne({ _id: insertedId })).toMatchObject({
      status: JobStatus.CANCELLED,
      failCount: 0,
    });
  });
});

/** Timers that keep the process alive now. */
function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

describe('an outcome write in flight at the deadline', () => {
  it('fails after stop() resolved: it is not written again, no timer is left, and it is reported once', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), {
      shutdownTimeout: 300,
      operationTimeout: 1_000,
      lockTimeout: 60_000,
    });
    const finish = deferred();
    monque.worker('late', async () => {
      await finish.promise;
      return { done: true };
    });
    const job = await monque.enqueue('late', {});
    const errors: Error[] = [];
    monque.on('job:error', ({ error, job: about }) => {
      if (about?._id.equals(job._id)) errors.push(error);
    });
    const timersBefore = activeTimers();
    const started = nextEvent(monque, 'job:start');
    await monque.start();
    await started;
    // The outcome write is applied, but its reply is held: stop() gives up on it.
    const held = proxy.delayReplies(isOutcome, 60_000);
    finish.resolve();
    await held.firstHit;
    await monque.stop();
    const stoppedAt = Date.now();
    // Now the held write fails (its connection is reset): nothing retries it, no timer is set.
    proxy.partition({ mode: 'reset' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
    await new Promise((resolve) => setTimeout(resolve, 250));
    proxy.heal();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(proxy.commands(isOutcome).filter((command) => command.at > stoppedAt)).toEqual([]);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/^writing the outcome failed: .*it may have been applied/),
    ]);
  }, 15_000);
});

describe('a process that stops with an outcome write in flight', () => {
  it('exits by itself after stop() and client.close()', async () => {
    const db = await getDb();
    const proxy = await startFaultProxy(getTestUri());
    try {
      const child = startChildScript('stop-and-exit', [proxy.uri, db.databaseName, freshCollectionName(db)]);
      await child.waitFor('started');
      const held = proxy.delayReplies(isOutcome, 60_000);
      child.send({ type: 'go' });
      await held.firstHit;
      child.send({ type: 'stop' });
      await child.waitFor('ran');
      const exit = await Promise.race([
        child.exited,
        new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 5_000)),
      ]);
      expect(exit, child.output()).toEqual({ code: 0, signal: null });
    } finally {
      await proxy.close();
    }
  }, 30_000);
});
