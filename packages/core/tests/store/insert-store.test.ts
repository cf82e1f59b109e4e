/**
 * Unique-key writes of inserts, directly against the database with a fixed `now`: a key is held by
 * the one active (`pending`/`processing`) job whose `activeKey` is set (the partial unique index
 * `{name, activeKey}`); an enqueue with a held key returns the holder; a finished job still holding
 * a key (edited by hand) gives it up, but only while it is finished; a batch resolves each key once.
 */
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/job.js';
import { InsertStore, type NewJob } from '../../src/store/insert-store.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { useTestDb } from '../helpers/monque.js';
import { withRace } from './race.js';
import { freshStores, heldJob, plus, type Stores, stored, storeJob } from './stores.js';

const getDb = useTestDb(import.meta.url);
const NOW = new Date('2030-01-01T00:00:00Z');
const LATER = plus(NOW, 1_000);

const job = (fields: Partial<NewJob> = {}): NewJob => ({ name: 'task', data: { n: 1 }, nextRunAt: NOW, ...fields });
const docOf = (result: unknown): JobDocument => {
  expect(result).toHaveProperty('doc');
  return (result as { doc: JobDocument }).doc;
};

async function count(stores: Stores): Promise<number> {
  return stores.collection.countDocuments({});
}

describe('InsertStore.newDocument', () => {
  it('a pending job with the defaults, its options and trace only when given, the key as u:<uniqueKey>', async () => {
    const stores = await freshStores(await getDb());
    const plain = stores.inserts.newDocument(job(), NOW);
    expect(plain).toEqual({
      name: 'task',
      data: { n: 1 },
      status: JobStatus.PENDING,
      nextRunAt: NOW,
      priority: 0,
      lockedAt: null,
      failCount: 0,
      attempts: 0,
      createdAt: NOW,
      updatedAt: NOW,
    });
    const backoff = { type: 'fixed' as const, delay: 5 };
    const full = stores.inserts.newDocument(
      job({
        uniqueKey: 'k',
        priority: 3,
        maxRetries: 2,
        backoff,
        timeout: 9,
        trace: { traceparent: 'tp' },
        createdAt: LATER,
      }),
      NOW,
    );
    expect(full).toMatchObject({
      uniqueKey: 'k',
      activeKey: 'u:k',
      priority: 3,
      maxRetries: 2,
      backoff,
      timeout: 9,
      trace: { traceparent: 'tp' },
      createdAt: LATER,
      updatedAt: LATER,
    });
  });
});

describe('InsertStore.insertOne with a unique key', () => {
  it('an active holder of the key is returned unchanged; nothing is inserted', async () => {
    const stores = await freshStores(await getDb());
    const first = await stores.inserts.insertOne(job({ uniqueKey: 'k' }), NOW);
    const running = await heldJob(stores, NOW, 'me', 'c', { uniqueKey: 'r', activeKey: 'u:r' });
    expect(await stores.inserts.insertOne(job({ uniqueKey: 'k', data: { n: 2 } }), LATER)).toEqual(first);
    expect(await stores.inserts.insertOne(job({ uniqueKey: 'r' }), LATER)).toEqual(running);
    expect(await count(stores)).toBe(2);
  });

  it('a finished job still holding the key (edited by hand) gives it up, and a new job takes it', async () => {
    const stores = await freshStores(await getDb());
    const done = await storeJob(stores, NOW, { status: JobStatus.COMPLETED, uniqueKey: 'k', activeKey: 'u:k' });
    const fresh = await stores.inserts.insertOne(job({ uniqueKey: 'k' }), LATER);
    expect(fresh._id).not.toEqual(done._id);
    expect(fresh).toMatchObject({ status: JobStatus.PENDING, activeKey: 'u:k', createdAt: LATER });
    expect(await stored(stores, done._id)).not.toHaveProperty('activeKey');
  });

  it('status guard of the self-healing: a holder retried (active again) before it gives the key up keeps it and is returned', async () => {
    const stores = await freshStores(await getDb());
    const done = await storeJob(stores, NOW, { status: JobStatus.FAILED, uniqueKey: 'k', activeKey: 'u:k' });
    const retried = () => stores.collection.updateOne({ _id: done._id }, { $set: { status: JobStatus.PENDING } });
    const racing = new InsertStore(withRace(stores.collection, { after: 'findOneAndUpdate', meddle: retried }));
    const holder = await racing.insertOne(job({ uniqueKey: 'k' }), LATER);
    expect(holder._id).toEqual(done._id);
    expect(holder).toMatchObject({ status: JobStatus.PENDING, activeKey: 'u:k' });
    expect(await count(stores)).toBe(1);
  });

  it('gives up after 5 attempts when the key keeps coming back to a finished job, naming the key', async () => {
    const stores = await freshStores(await getDb());
    const done = await storeJob(stores, NOW, { status: JobStatus.FAILED, uniqueKey: 'k', activeKey: 'u:k' });
    let restored = 0;
    const restoreKey = async () => {
      restored += 1;
      await stores.collection.updateOne({ _id: done._id }, { $set: { activeKey: 'u:k' } });
    };
    const racing = new InsertStore(
      withRace(stores.collection, { after: 'updateOne', meddle: restoreKey, call: 'every' }),
    );
    await expect(racing.insertOne(job({ uniqueKey: 'k' }), LATER)).rejects.toThrow(
      "could not take unique key 'k' of 'task' after 5 attempts",
    );
    expect(restored).toBe(4);
    expect(await count(stores)).toBe(1);
  });

  it('name guard: the same key under another name is another job', async () => {
    const stores = await freshStores(await getDb());
    const a = await stores.inserts.insertOne(job({ uniqueKey: 'k' }), NOW);
    const b = await stores.inserts.insertOne(job({ name: 'other', uniqueKey: 'k' }), NOW);
    expect(a._id).not.toEqual(b._id);
  });

  it('a job without a key is always inserted', async () => {
    const stores = await freshStores(await getDb());
    const a = await stores.inserts.insertOne(job(), NOW);
    const b = await stores.inserts.insertOne(job(), NOW);
    expect(a._id).not.toEqual(b._id);
    expect(await stored(stores, a._id)).toEqual(a);
    expect(a).not.toHaveProperty('activeKey');
  });
});

describe('InsertStore.insertBatch', () => {
  it('each item gets its job in the order given; items sharing a key share one job; held keys return their holder', async () => {
    const stores = await freshStores(await getDb());
    const holder = await stores.inserts.insertOne(job({ uniqueKey: 'held' }), NOW);
    const results = await stores.inserts.insertBatch(
      [
        job({ data: { n: 0 } }),
        job({ uniqueKey: 'a', data: { n: 1 } }),
        job({ uniqueKey: 'held', data: { n: 2 } }),
        job({ uniqueKey: 'a', data: { n: 3 } }),
        job({ data: { n: 4 } }),
      ],
      LATER,
    );
    const docs = results.map(docOf);
    // The holder keeps its own data; the second item of key 'a' gets the first one's job.
    expect(docs.map((doc) => doc.data)).toEqual([{ n: 0 }, { n: 1 }, holder.data, { n: 1 }, { n: 4 }]);
    expect(docs[2]?._id).toEqual(holder._id);
    expect(docs[1]?._id).toEqual(docs[3]?._id);
    expect(await count(stores)).toBe(4);
    for (const doc of docs)
      expect(await stored(stores, doc._id)).toMatchObject({ name: 'task', status: JobStatus.PENDING });
  });

  it('a batch meeting a finished job that still holds a key (edited by hand) heals that key alone', async () => {
    const stores = await freshStores(await getDb());
    const done = await storeJob(stores, NOW, { status: JobStatus.CANCELLED, uniqueKey: 'a', activeKey: 'u:a' });
    const results = await stores.inserts.insertBatch([job({ uniqueKey: 'a' }), job({ uniqueKey: 'b' })], LATER);
    const [a, b] = results.map(docOf) as [JobDocument, JobDocument];
    expect(a._id).not.toEqual(done._id);
    expect(a).toMatchObject({ status: JobStatus.PENDING, activeKey: 'u:a' });
    expect(b).toMatchObject({ status: JobStatus.PENDING, activeKey: 'u:b' });
    expect(await stored(stores, done._id)).not.toHaveProperty('activeKey');
  });

  it('one keyed item alone, and one plain item alone', async () => {
    const stores = await freshStores(await getDb());
    const [keyed] = await stores.inserts.insertBatch([job({ uniqueKey: 'solo' })], NOW);
    const [plain] = await stores.inserts.insertBatch([job({ data: { n: 7 } })], NOW);
    expect(docOf(keyed)).toMatchObject({ activeKey: 'u:solo' });
    expect(await stored(stores, docOf(plain)._id)).toMatchObject({ data: { n: 7 } });
  });
});
