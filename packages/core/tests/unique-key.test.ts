import { describe, expect, it } from 'vitest';
import { ConnectionError, JobStatus } from '../src/index.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb, waitForStatus } from './helpers/monque.js';

const getDb = useTestDb(import.meta.url);

describe('uniqueKey', () => {
  it('a pending job blocks a second enqueue, which returns it unchanged', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const firstRunAt = new Date(Date.now() + 60_000);
    const first = await monque.enqueue('sync', { version: 1 }, { uniqueKey: 'user-1', runAt: firstRunAt });
    expect(first.uniqueKey).toBe('user-1');
    const second = await monque.enqueue(
      'sync',
      { version: 2 },
      { uniqueKey: 'user-1', runAt: new Date(Date.now() + 1_000) },
    );
    expect(second._id.equals(first._id)).toBe(true);
    expect(second.data).toEqual({ version: 1 });
    expect(second.nextRunAt).toEqual(firstRunAt);
    expect(second).toEqual(first);
    const stored = await jobsOf(db, monque).find({}).toArray();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.data).toEqual({ version: 1 });
    expect(stored[0]?.nextRunAt).toEqual(firstRunAt);
    expect(stored[0]?.updatedAt).toEqual(first.updatedAt);
  });

  it('a processing job blocks a second enqueue', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const entered = deferred();
    const release = deferred();
    monque.worker('hold', async () => {
      entered.resolve();
      await release.promise;
    });
    await monque.start();
    const first = await monque.enqueue('hold', { v: 1 }, { uniqueKey: 'k' });
    await entered.promise;
    expect((await jobsOf(db, monque).findOne({ _id: first._id }))?.status).toBe(JobStatus.PROCESSING);
    const second = await monque.enqueue('hold', { v: 2 }, { uniqueKey: 'k' });
    expect(second._id.equals(first._id)).toBe(true);
    expect(second.status).toBe(JobStatus.PROCESSING);
    expect(second.data).toEqual({ v: 1 });
    expect(await jobsOf(db, monque).countDocuments()).toBe(1);
    release.resolve();
    await waitForStatus(db, monque, first._id, JobStatus.COMPLETED);
    await monque.stop();
  });

  it('a completed job does not block a new one', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    monque.worker('once', () => {});
    await monque.start();
    const first = await monque.enqueue('once', { v: 1 }, { uniqueKey: 'k' });
    await waitForStatus(db, monque, first._id, JobStatus.COMPLETED);
    await monque.stop();
    const second = await monque.enqueue('once', { v: 2 }, { uniqueKey: 'k' });
    expect(second._id.equals(first._id)).toBe(false);
    expect(second.status).toBe(JobStatus.PENDING);
    expect(second.data).toEqual({ v: 2 });
    expect(second.uniqueKey).toBe('k');
    // The new job holds the key now.
    const third = await monque.enqueue('once', { v: 3 }, { uniqueKey: 'k' });
    expect(third._id.equals(second._id)).toBe(true);
    expect(await jobsOf(db, monque).countDocuments()).toBe(2);
  });

  it('a failed job does not block a new one', async () => {
    const db = await getDb();
    const monque = createMonque(db, { maxRetries: 1 });
    monque.worker('doomed', () => {
      throw new Error('always');
    });
    await monque.start();
    const first = await monque.enqueue('doomed', { v: 1 }, { uniqueKey: 'k' });
    const failed = await waitForStatus(db, monque, first._id, JobStatus.FAILED);
    expect(failed.uniqueKey).toBe('k');
    await monque.stop();
    const second = await monque.enqueue('doomed', { v: 2 }, { uniqueKey: 'k' });
    expect(second._id.equals(first._id)).toBe(false);
    expect(second.status).toBe(JobStatus.PENDING);
    expect(await jobsOf(db, monque).countDocuments()).toBe(2);
  });

  it('a job waiting for a retry still blocks', async () => {
    const db = await getDb();
    const monque = createMonque(db, { maxRetries: 5, baseRetryInterval: 60_000 });
    monque.worker('flaky', () => {
      throw new Error('not yet');
    });
    await monque.start();
    const first = await monque.enqueue('flaky', {}, { uniqueKey: 'k' });
    await nextEvent(monque, 'job:fail', ({ job }) => job._id.equals(first._id));
    await monque.stop();
    const again = await monque.enqueue('flaky', {}, { uniqueKey: 'k' });
    expect(again._id.equals(first._id)).toBe(true);
    expect(again.failCount).toBe(1);
  });

  it('1000 concurrent enqueues of one key make exactly one job, and all return it (SC-002)', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => monque.enqueue('race', { caller: i }, { uniqueKey: 'the-one' })),
    );
    expect(await jobsOf(db, monque).countDocuments()).toBe(1);
    const stored = await jobsOf(db, monque).findOne({});
    const ids = new Set(results.map((job) => job._id.toHexString()));
    expect([...ids]).toEqual([stored?._id.toHexString()]);
    // Every caller sees the winner's data, not its own.
    for (const job of results) expect(job.data).toEqual(stored?.data);
  });

  it('the same key under different names does not collide', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const a = await monque.enqueue('resize', {}, { uniqueKey: 'img-1' });
    const b = await monque.enqueue('upload', {}, { uniqueKey: 'img-1' });
    expect(a._id.equals(b._id)).toBe(false);
    expect(await jobsOf(db, monque).countDocuments()).toBe(2);
  });

  it('a job without a key is never deduplicated', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    await monque.enqueue('plain', {}, { uniqueKey: 'k' });
    await monque.enqueue('plain', {});
    await monque.enqueue('plain', {});
    expect(await jobsOf(db, monque).countDocuments()).toBe(3);
  });

  it("surfaces a duplicate-key error from the user's own unique index instead of retrying forever", async () => {
    const db = await getDb();
    const monque = createMonque(db);
    await monque.enqueue('order', { sku: 'A-1' }, { uniqueKey: 'first' });
    await jobsOf(db, monque).createIndex({ 'data.sku': 1 }, { unique: true, name: 'user_sku_unique' });
    const error = await monque
      .enqueue('order', { sku: 'A-1' }, { uniqueKey: 'second' })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(((error as ConnectionError).cause as { code?: unknown }).code).toBe(11000);
    expect(await jobsOf(db, monque).countDocuments()).toBe(1);
  });
});

describe('enqueueMany with unique keys', () => {
  it('keeps one job per key, within the batch and against existing jobs, in the order given', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const existing = await monque.enqueue('mail', { v: 'old' }, { uniqueKey: 'k1' });
    const jobs = await monque.enqueueMany([
      { name: 'mail', data: { v: 'a' }, options: { uniqueKey: 'k1' } },
      { name: 'mail', data: { v: 'b' }, options: { uniqueKey: 'k2' } },
      { name: 'mail', data: { v: 'c' } },
      { name: 'mail', data: { v: 'd' }, options: { uniqueKey: 'k2' } },
      { name: 'other', data: { v: 'e' }, options: { uniqueKey: 'k2' } },
      { name: 'mail', data: { v: 'f' }, options: { uniqueKey: 'k3' } },
    ]);
    expect(jobs).toHaveLength(6);
    const [k1, k2, plain, k2Again, otherK2, k3] = jobs;
    expect(k1?._id.equals(existing._id)).toBe(true);
    expect(k1?.data).toEqual({ v: 'old' });
    expect(k2?.data).toEqual({ v: 'b' });
    expect(k2Again?._id.toHexString()).toBe(k2?._id.toHexString());
    expect(k2Again?.data).toEqual({ v: 'b' });
    expect(plain?.data).toEqual({ v: 'c' });
    expect(plain).not.toHaveProperty('uniqueKey');
    expect(otherK2?.name).toBe('other');
    expect(otherK2?._id.toHexString()).not.toBe(k2?._id.toHexString());
    expect(k3?.data).toEqual({ v: 'f' });
    for (const job of jobs) expect(job).not.toHaveProperty('activeKey');

    const stored = await jobsOf(db, monque).find({}).toArray();
    expect(stored).toHaveLength(5);
    const keys = stored.map((doc) => `${doc.name}/${doc.uniqueKey ?? '-'}`).sort();
    expect(keys).toEqual(['mail/-', 'mail/k1', 'mail/k2', 'mail/k3', 'other/k2']);
  });

  it('an enqueueMany of only unique jobs, repeated, adds nothing the second time', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const batch = ['x', 'y', 'z'].map((key) => ({ name: 'dedupe', data: { key }, options: { uniqueKey: key } }));
    const first = await monque.enqueueMany(batch);
    const second = await monque.enqueueMany(batch);
    expect(second.map((job) => job._id.toHexString())).toEqual(first.map((job) => job._id.toHexString()));
    expect(first.map((job) => job.uniqueKey)).toEqual(['x', 'y', 'z']);
    expect(await jobsOf(db, monque).countDocuments()).toBe(3);
  });
});

describe('unique keys never stick to a job that is not pending or processing', () => {
  it.each(['failed', 'completed', 'cancelled'] as const)(
    'a job set to %s by hand (its key left in place) gives the key up to the next enqueue',
    async (status) => {
      const db = await getDb();
      const monque = createMonque(db);
      const old = await monque.enqueue('sync', { v: 1 }, { uniqueKey: 'user:7' });
      await jobsOf(db, monque).updateOne({ _id: old._id }, { $set: { status } });
      const fresh = await monque.enqueue('sync', { v: 2 }, { uniqueKey: 'user:7' });
      expect(fresh._id.equals(old._id)).toBe(false);
      expect(fresh).toMatchObject({ status: JobStatus.PENDING, data: { v: 2 } });
      const [many] = await monque.enqueueMany([{ name: 'sync', data: { v: 3 }, options: { uniqueKey: 'user:7' } }]);
      expect(many?._id.equals(fresh._id)).toBe(true);
    },
  );

  it('enqueueMany heals a hand-edited key too, once per key', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const old = await monque.enqueue('sync', {}, { uniqueKey: 'k' });
    await jobsOf(db, monque).updateOne({ _id: old._id }, { $set: { status: 'failed' } });
    const jobs = await monque.enqueueMany([
      { name: 'sync', data: { n: 1 }, options: { uniqueKey: 'k' } },
      { name: 'sync', data: { n: 2 }, options: { uniqueKey: 'k' } },
      { name: 'sync', data: { n: 3 }, options: { uniqueKey: 'other' } },
    ]);
    expect(jobs[0]?._id.equals(old._id)).toBe(false);
    expect(jobs[1]?._id.equals(jobs[0]?._id as never)).toBe(true);
    expect(await jobsOf(db, monque).countDocuments({ status: JobStatus.PENDING })).toBe(2);
  });

  it('a schedule set to failed by hand gives its key up to the next schedule()', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const old = await monque.schedule('0 * * * *', 'hourly', {});
    await jobsOf(db, monque).updateOne({ _id: old._id }, { $set: { status: 'failed' } });
    const fresh = await monque.schedule('0 * * * *', 'hourly', {});
    expect(fresh._id.equals(old._id)).toBe(false);
    expect(fresh.status).toBe(JobStatus.PENDING);
  });
});
