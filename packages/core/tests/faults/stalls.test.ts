/**
 * A stale recovery is a stall, not a failure, the first `maxStalls` times (since the job's last
 * retry): the instance that died or was cut off says nothing about the job, whose handler may not
 * even have started. Later recoveries are charged as failed attempts, so a job that kills its
 * worker every time still ends `failed`. Which rule applies is stamped on the job by the claim
 * that ran it (`maxStalls` of that instance), not taken from the recovering instance.
 *
 * And a handler aborted at its lock deadline (its renewals did not get through for
 * `lockTimeout − heartbeatInterval`) that returns a value all the same has that success written,
 * fenced on its claim, instead of the job being given back and run again.
 */
import { commandDocuments, freshCollectionName, waitUntil } from '@monque/test-backend';
import { afterEach, describe, expect, it } from 'vitest';
import { JobLockLostError, JobStatus, type MonqueOptions } from '../../src/index.js';
import { faultyMonque, isRenewal } from '../helpers/faulty.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

const TIMING = { lockTimeout: 600, heartbeatInterval: 100, staleCheckInterval: 100, shutdownTimeout: 200 };

/**
 * Starts an instance that claims the job `name` and hangs in its handler, then cuts it off from
 * the database for good (as if its process had frozen or died).
 */
async function ownerCutOff(collectionName: string, name: string, options: MonqueOptions = {}): Promise<void> {
  const db = await getDb();
  const owner = await faultyMonque(db, collectionName, { ...TIMING, ...options });
  const hang = deferred();
  owner.monque.worker(name, () => hang.promise, { maxRetries: 1 });
  const started = nextEvent(owner.monque, 'job:start');
  await owner.monque.start();
  await started;
  owner.proxy.partition({ mode: 'blackhole' });
  owners.push(async () => {
    hang.resolve();
    owner.proxy.heal();
    await owner.monque.stop();
  });
}

/** Ends the cut-off owners (their late writes are fenced out: the recoveries cleared their claims). */
const owners: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(owners.splice(0).map((end) => end()));
});

describe('a stale recovery', () => {
  it('is a stall the first time: pending again, no failure charged, recorded in the attempt history', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    // The rescuer has no worker for the job: it only recovers it.
    const rescuer = createMonque(db, { ...TIMING, collectionName, instanceId: 'rescuer' });
    const enqueuer = createMonque(db, { collectionName });
    const job = await enqueuer.enqueue('fragile', {});
    await ownerCutOff(collectionName, 'fragile', { instanceId: 'owner' });
    const recovered = nextEvent(rescuer, 'job:recovered');
    await rescuer.start();
    const { willRetry } = await recovered;
    await rescuer.stop();
    expect(willRetry).toBe(true);
    const doc = await jobsOf(db, rescuer).findOne({ _id: job._id });
    // maxRetries 1 would have failed it for good, had the recovery been charged.
    expect(doc).toMatchObject({ status: JobStatus.PENDING, failCount: 0, stalls: 1 });
    expect(doc?.errors).toHaveLength(1);
    expect(doc?.errors?.[0]?.message).toMatch(/^stalled \(no failure charged, stall 1 of 1 allowed\): lock expired/);
    expect(doc?.errors?.[0]?.instanceId).toBe('owner');
    expect((await rescuer.getJob(job._id))?.stalls).toBe(1);
  });

  it('is charged as a failure beyond maxStalls; a retry starts counting stalls again', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const rescuer = createMonque(db, { ...TIMING, collectionName, instanceId: 'rescuer' });
    const enqueuer = createMonque(db, { collectionName });
    const job = await enqueuer.enqueue('fragile', {});
    await ownerCutOff(collectionName, 'fragile', { instanceId: 'first' });
    const first = nextEvent(rescuer, 'job:recovered');
    await rescuer.start();
    expect((await first).willRetry).toBe(true);
    // A second instance claims it again and is cut off too: the second recovery is charged, and
    // with maxRetries 1 the job fails for good.
    const second = nextEvent(rescuer, 'job:recovered');
    await ownerCutOff(collectionName, 'fragile', { instanceId: 'second' });
    expect((await second).willRetry).toBe(false);
    await rescuer.stop();
    const failed = await jobsOf(db, rescuer).findOne({ _id: job._id });
    expect(failed).toMatchObject({ status: JobStatus.FAILED, failCount: 1, stalls: 2 });
    expect(failed?.errors?.map((entry) => entry.message.startsWith('stalled'))).toEqual([true, false]);
    expect(await enqueuer.retryJobs({ ids: [job._id] })).toEqual({ count: 1 });
    const retried = await jobsOf(db, rescuer).findOne({ _id: job._id });
    expect(retried).toMatchObject({ status: JobStatus.PENDING, failCount: 0 });
    expect(retried?.stalls).toBeUndefined();
  });

  it("follows the maxStalls of the instance that claimed the job, not the recovering instance's", async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    // The rescuer would allow 5 stalls; the owner allows none.
    const rescuer = createMonque(db, { ...TIMING, collectionName, instanceId: 'rescuer', maxStalls: 5 });
    const enqueuer = createMonque(db, { collectionName });
    const job = await enqueuer.enqueue('fragile', {});
    await ownerCutOff(collectionName, 'fragile', { instanceId: 'owner', maxStalls: 0 });
    const recovered = nextEvent(rescuer, 'job:recovered');
    await rescuer.start();
    expect((await recovered).willRetry).toBe(false);
    await rescuer.stop();
    expect(await jobsOf(db, rescuer).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.FAILED,
      failCount: 1,
      stalls: 1,
    });
  });
});

describe('a stale recovery whose reply is lost', () => {
  it('is sent once more and recognised as applied: job:recovered is emitted once, the stall counted once', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const rescuer = await faultyMonque(db, collectionName, { ...TIMING, instanceId: 'rescuer' });
    const enqueuer = createMonque(db, { collectionName });
    const job = await enqueuer.enqueue('fragile', {});
    await ownerCutOff(collectionName, 'fragile', { instanceId: 'owner' });
    const lost = rescuer.proxy.loseReply(
      (command) =>
        command.name === 'update' && JSON.stringify(commandDocuments(command, 'updates')).includes('stalled'),
      { times: 1 },
    );
    const recovered: unknown[] = [];
    rescuer.monque.on('job:recovered', ({ job: stale }) => recovered.push(stale._id));
    await rescuer.monque.start();
    await lost.firstHit;
    await waitUntil(() => recovered.length > 0, 'job:recovered', { timeoutMs: 5_000 });
    await rescuer.monque.stop();
    expect(recovered).toEqual([job._id]);
    expect(await jobsOf(db, enqueuer).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.PENDING,
      failCount: 0,
      stalls: 1,
    });
  });
});

describe('a success cut off after its handler returned, the job recovered meanwhile', () => {
  it('is written once its instance is back, while nobody claimed the job since: completed with its result, run once', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const owner = await faultyMonque(db, collectionName, { ...TIMING, instanceId: 'owner' });
    // The rescuer has no worker for the job: it recovers it and leaves it pending.
    const rescuer = createMonque(db, { ...TIMING, collectionName, instanceId: 'rescuer' });
    let runs = 0;
    const finish = deferred();
    owner.monque.worker('report', async () => {
      runs += 1;
      await finish.promise;
      return { by: 'the first run' };
    });
    const job = await owner.monque.enqueue('report', {});
    const started = nextEvent(owner.monque, 'job:start');
    await owner.monque.start();
    await started;
    // Cut off, then the handler returns: its success cannot be written, and its lock expires.
    owner.proxy.partition({ mode: 'blackhole' });
    finish.resolve();
    const recovered = nextEvent(rescuer, 'job:recovered');
    await rescuer.start();
    await recovered;
    await rescuer.stop();
    const completed = nextEvent(owner.monque, 'job:complete');
    owner.proxy.heal();
    await completed;
    await owner.monque.stop();
    expect(await jobsOf(db, rescuer).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.COMPLETED,
      result: { by: 'the first run' },
      failCount: 0,
      stalls: 1,
    });
    expect(runs).toBe(1);
  });
});

describe('a handler aborted at its lock deadline that works on and returns a value', () => {
  it('keeps its lock renewed once the database answers, and has its success written: run once', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const lockTimeout = 2_000;
    const heartbeatInterval = 500;
    const { monque, proxy } = await faultyMonque(db, collectionName, {
      lockTimeout,
      heartbeatInterval,
      shutdownTimeout: 300,
    });
    let runs = 0;
    let reason: unknown;
    const healed = deferred();
    const finish = deferred();
    monque.worker('stubborn', async (_job, { signal }) => {
      runs += 1;
      if (runs > 1) return 'second run';
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      reason = signal.reason;
      // Ignores the abort: works on once the database is back, and returns.
      await healed.promise;
      await finish.promise;
      return 'first run';
    });
    const job = await monque.enqueue('stubborn', {});
    const started = nextEvent(monque, 'job:start');
    await monque.start();
    await started;
    // Cut off just after a renewal got through, for longer than lockTimeout − heartbeatInterval
    // (the abort) but shorter than lockTimeout.
    const renewals = proxy.commands(isRenewal).length;
    await waitUntil(() => proxy.commands(isRenewal).length > renewals, 'a renewal', { intervalMs: 5 });
    proxy.partition({ mode: 'reset', forMs: lockTimeout - heartbeatInterval + 200 });
    await waitUntil(() => reason !== undefined, 'the lock deadline to abort the handler', { timeoutMs: 5_000 });
    expect(reason).toBeInstanceOf(JobLockLostError);
    await waitUntil(() => proxy.partitioned === null, 'the partition to end', { timeoutMs: 5_000 });
    healed.resolve();
    // The job is still this instance's: while the handler works on, its lock is renewed again, so
    // no other instance takes it over.
    const lockedAt = async (): Promise<number | undefined> =>
      (await jobsOf(db, monque).findOne({ _id: job._id }))?.lockedAt?.getTime();
    // (Twice: a beat begun before the abort may still renew it once.)
    for (const renewal of ['a renewal', 'another renewal']) {
      const before = await lockedAt();
      await waitUntil(async () => (await lockedAt()) !== before, `${renewal} of the aborted run`, {
        timeoutMs: 3 * heartbeatInterval,
      });
    }
    const completed = nextEvent(monque, 'job:complete');
    finish.resolve();
    await completed;
    await monque.stop();
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.COMPLETED,
      result: 'first run',
      failCount: 0,
    });
    expect(runs).toBe(1);
  }, 20_000);
});
