/**
 * The guards of the deduplicating enqueues (`store/dedupe-store.ts`), each shown by another writer
 * acting exactly between the store's read and its write (`race.ts`), with a fixed `now`:
 * - the pending write is fenced on `status: 'pending'` (a job claimed meanwhile keeps its data, and
 *   the call's job is queued behind it) and on `activeKey` (a job that gave its key up is not
 *   changed);
 * - a running holder gives its key up only while `processing` (one that went back to `pending`
 *   keeps it, and is replaced instead);
 * - a finished holder (edited by hand) gives its key up only while finished;
 * - after a lost reply, the call's own write is recognised by its `enqueueToken`: a job it
 *   replaced and that was claimed before the read is returned, and nothing is queued behind it.
 */
import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/job.js';
import { type DedupeCall, DedupeStore } from '../../src/store/dedupe-store.js';
import { InsertStore } from '../../src/store/insert-store.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { WriteLedger } from '../../src/store/write-ledger.js';
import type { DedupeMode } from '../../src/validation/dedupe-options.js';
import { useTestDb } from '../helpers/monque.js';
import { type Race, withRace } from './race.js';
import { freshStores, heldJob, plus, type Stores, stored, storeJob } from './stores.js';

const getDb = useTestDb(import.meta.url);
const NOW = new Date('2030-01-01T00:00:00Z');

function call(mode: DedupeMode, data: unknown, now = NOW): DedupeCall {
  return {
    job: { name: 'task', data, nextRunAt: now, uniqueKey: 'k', createdAt: now },
    mode,
    now,
    id: new ObjectId(),
    token: randomUUID(),
    ledger: new WriteLedger(),
  };
}

function racing(stores: Stores, ...races: Race[]): DedupeStore {
  const collection = races.reduce<Collection<JobDocument>>((inner, race) => withRace(inner, race), stores.collection);
  return new DedupeStore(collection, new InsertStore(collection));
}

/** `collection` whose `method` is applied, then `meddle` runs, then the reply is lost (a network error). */
function losingReply(collection: Collection<JobDocument>, method: string, meddle: () => Promise<unknown>) {
  let lost = false;
  return new Proxy(collection, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== method || typeof value !== 'function' || lost) return value;
      return async (...args: unknown[]) => {
        lost = true;
        await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        await meddle();
        throw Object.assign(new Error('connection reset by peer'), { name: 'MongoNetworkError' });
      };
    },
  });
}

const keyed = { uniqueKey: 'k', activeKey: 'u:k' };
const claim = (stores: Stores, id: ObjectId) =>
  stores.collection.updateOne({ _id: id }, { $set: { status: JobStatus.PROCESSING, owner: 'other', claimToken: 't' } });

async function jobsOfKey(stores: Stores) {
  return stores.collection.find({ uniqueKey: 'k' }).sort({ createdAt: 1 }).toArray();
}

describe('dedupe store guards', () => {
  it("status guard of the pending write: a job claimed between the read and the write keeps its data; the call's job is queued behind it", async () => {
    const stores = await freshStores(await getDb());
    // Capped debounce: the upsert misses (the cap is passed), so the store reads, then writes.
    const holder = await storeJob(stores, plus(NOW, -10_000), { ...keyed, data: { v: 1 } });
    const store = racing(stores, { after: 'findOne', meddle: () => claim(stores, holder._id) });
    const result = await store.write(call({ kind: 'debounce', ms: 1_000, maxWait: 5_000 }, { v: 2 }));
    expect(result.outcome).toBe('created');
    expect(await stored(stores, holder._id)).toMatchObject({ status: JobStatus.PROCESSING, data: { v: 1 } });
    expect((await stored(stores, holder._id)).activeKey).toBeUndefined();
    expect(await stored(stores, result.doc._id)).toMatchObject({
      status: JobStatus.PENDING,
      data: { v: 2 },
      activeKey: 'u:k',
      nextRunAt: plus(NOW, 1_000),
    });
  });

  it('key guard of the pending write: a pending job that gave its key up between the read and the write is not changed', async () => {
    const stores = await freshStores(await getDb());
    const holder = await storeJob(stores, plus(NOW, -10_000), { ...keyed, data: { v: 1 } });
    const store = racing(stores, {
      after: 'findOne',
      meddle: () => stores.collection.updateOne({ _id: holder._id }, { $unset: { activeKey: '' } }),
    });
    const result = await store.write(call({ kind: 'debounce', ms: 1_000, maxWait: 5_000 }, { v: 2 }));
    expect(await stored(stores, holder._id)).toMatchObject({ data: { v: 1 }, nextRunAt: plus(NOW, -10_000) });
    expect(result.doc._id.equals(holder._id)).toBe(false);
    expect(await stored(stores, result.doc._id)).toMatchObject({ data: { v: 2 }, activeKey: 'u:k' });
  });

  it('status guard of giving the key up: a running holder that went back to pending between the read and the write keeps its key and is replaced', async () => {
    const stores = await freshStores(await getDb());
    const holder = await heldJob(stores, NOW, 'other', 't', { ...keyed, data: { v: 1 } });
    const store = racing(stores, {
      after: 'findOne',
      meddle: () =>
        stores.collection.updateOne({ _id: holder._id }, { $set: { status: JobStatus.PENDING, claimToken: null } }),
    });
    const result = await store.write(call({ kind: 'replace' }, { v: 2 }));
    expect(result).toMatchObject({ outcome: 'replaced' });
    expect(result.doc._id.equals(holder._id)).toBe(true);
    const jobs = await jobsOfKey(stores);
    expect(jobs.map((job) => [job.status, job.data, job.activeKey])).toEqual([[JobStatus.PENDING, { v: 2 }, 'u:k']]);
  });

  it('a running holder gives its key up to the job queued behind it, and keeps running untouched', async () => {
    const stores = await freshStores(await getDb());
    const holder = await heldJob(stores, NOW, 'other', 't', { ...keyed, data: { v: 1 } });
    const result = await new DedupeStore(stores.collection, stores.inserts).write(call({ kind: 'replace' }, { v: 2 }));
    expect(result.outcome).toBe('created');
    const { activeKey, ...rest } = await stored(stores, holder._id);
    expect(activeKey).toBeUndefined();
    const { activeKey: _was, ...before } = holder;
    expect(rest).toEqual(before);
  });

  it('status guard of freeing a finished holder: one made pending again between the read and the write keeps its key', async () => {
    const stores = await freshStores(await getDb());
    const holder = await storeJob(stores, NOW, { ...keyed, status: JobStatus.COMPLETED, data: { v: 1 } });
    const store = racing(stores, {
      after: 'findOne',
      meddle: () => stores.collection.updateOne({ _id: holder._id }, { $set: { status: JobStatus.PENDING } }),
    });
    const result = await store.write(call({ kind: 'replace' }, { v: 2 }));
    expect(result.doc._id.equals(holder._id)).toBe(true);
    expect((await jobsOfKey(stores)).map((job) => [job.status, job.data, job.activeKey])).toEqual([
      [JobStatus.PENDING, { v: 2 }, 'u:k'],
    ]);
  });

  it.each(['keep', 'replace'] as const)(
    '%s: a finished job still holding the key (edited by hand) gives it up to a new job',
    async (kind) => {
      const stores = await freshStores(await getDb());
      const finished = await storeJob(stores, NOW, { ...keyed, status: JobStatus.COMPLETED, data: { v: 1 } });
      const result = await new DedupeStore(stores.collection, stores.inserts).write(call({ kind }, { v: 2 }));
      expect(result.outcome).toBe('created');
      expect(result.doc._id.equals(finished._id)).toBe(false);
      expect((await stored(stores, finished._id)).activeKey).toBeUndefined();
      expect(await stored(stores, result.doc._id)).toMatchObject({
        status: JobStatus.PENDING,
        data: { v: 2 },
        activeKey: 'u:k',
      });
    },
  );

  it('token: a replace whose reply was lost, its job claimed before the read-back, returns that job and queues nothing', async () => {
    const stores = await freshStores(await getDb());
    const holder = await storeJob(stores, NOW, { ...keyed, data: { v: 1 } });
    const collection = losingReply(stores.collection, 'findOneAndUpdate', () => claim(stores, holder._id));
    const store = new DedupeStore(collection, new InsertStore(collection));
    const result = await store.write(call({ kind: 'replace' }, { v: 2 }));
    expect(result.outcome).toBe('replaced');
    expect(result.doc._id.equals(holder._id)).toBe(true);
    expect((await jobsOfKey(stores)).map((job) => [job.status, job.data])).toEqual([[JobStatus.PROCESSING, { v: 2 }]]);
  });

  it('_id: a create whose reply was lost, its job claimed before the read-back, returns that job as created', async () => {
    const stores = await freshStores(await getDb());
    let created: ObjectId | undefined;
    const collection = losingReply(stores.collection, 'findOneAndUpdate', async () => {
      created = (await stores.collection.findOne({ uniqueKey: 'k' }))?._id;
      await claim(stores, created as ObjectId);
    });
    const store = new DedupeStore(collection, new InsertStore(collection));
    const result = await store.write(call({ kind: 'keep' }, { v: 1 }));
    expect(result.outcome).toBe('created');
    expect(result.doc._id.equals(created as ObjectId)).toBe(true);
    expect(await stores.collection.countDocuments()).toBe(1);
  });

  it('a duplicate-key error of a unique index of the user’s own is passed on after a bounded number of rounds', async () => {
    const stores = await freshStores(await getDb());
    await storeJob(stores, NOW, { data: { sku: 'A' } });
    await stores.collection.createIndex({ 'data.sku': 1 }, { unique: true, name: 'user_sku' });
    const store = new DedupeStore(stores.collection, stores.inserts);
    const error = await store.write(call({ kind: 'replace' }, { sku: 'A' })).catch((thrown: unknown) => thrown);
    expect((error as { code?: unknown }).code).toBe(11000);
    expect(await stores.collection.countDocuments()).toBe(1);
  });

  it('a call that keeps losing its race gives up after 6 rounds, saying so, having written no job of its own', async () => {
    const stores = await freshStores(await getDb());
    const holder = await storeJob(stores, plus(NOW, -10_000), { ...keyed, data: { v: 1 } });
    let reads = 0;
    // After each read the holder flips between pending and processing, so each guarded write misses.
    const store = racing(stores, {
      after: 'findOne',
      call: 'every',
      meddle: async () => {
        reads += 1;
        const status = reads % 2 === 1 ? JobStatus.PROCESSING : JobStatus.PENDING;
        await stores.collection.updateOne({ _id: holder._id }, { $set: { status } });
      },
    });
    const error = await store
      .write(call({ kind: 'debounce', ms: 1_000, maxWait: 5_000 }, { v: 2 }))
      .catch((thrown: unknown) => thrown);
    expect((error as Error).message).toBe("could not take unique key 'k' of 'task'");
    expect(reads).toBe(5);
    expect(await stores.collection.countDocuments()).toBe(1);
    expect(await stored(stores, holder._id)).toMatchObject({ data: { v: 1 }, activeKey: 'u:k' });
  });
});
