/**
 * Deduplication modes inside the caller's transaction (`session`: what the call writes exists if
 * and only if the transaction commits, the throttle window included) and on `enqueueMany` items
 * (the items of one name and key are applied in the order given; an item without a mode whose key
 * has mode items acts as `onDuplicate: 'keep'`).
 */
import { freshCollectionName, getMongoClient } from '@monque/test-backend';
import type { ClientSession, Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { type EnqueueManyItem, JobStatus } from '../../src/index.js';
import { THROTTLE_COLLECTION_SUFFIX } from '../../src/store/throttle-store.js';
import { openCommandLog } from '../helpers/command-log.js';
import { createMonque, deferred, jobsOf, useTestDb, waitForStatus } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';
import { deduplications, jobsOfKey } from './helpers.js';

const getDb = useTestDb(import.meta.url);

async function probeTransactions(db: Db): Promise<true | string> {
  const session = (await getMongoClient()).startSession();
  try {
    session.startTransaction();
    await db.collection(freshCollectionName(db, 'probe')).insertOne({ probe: true }, { session });
    await session.abortTransaction();
    return true;
  } catch (error) {
    return `the server runs no transactions (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await session.endSession();
  }
}

const transactions = await probeTransactions(await getDb());

async function inTransaction<T>(end: 'commit' | 'abort', work: (session: ClientSession) => Promise<T>): Promise<T> {
  const session = (await getMongoClient()).startSession();
  try {
    session.startTransaction();
    const result = await work(session);
    if (end === 'commit') await session.commitTransaction();
    else await session.abortTransaction();
    return result;
  } finally {
    await session.endSession();
  }
}

const T0 = new Date('2031-03-01T10:00:00.000Z');

describe('deduplication modes in a transaction', () => {
  it('replace and debounce: committed, the pending job is changed; aborted, it is as before', async (context) => {
    if (transactions !== true) return context.skip(transactions);
    const db = await getDb();
    const monque = createMonque(db, { clock: new TestClock(T0) });
    const original = await monque.enqueue('sync', { v: 1 }, { uniqueKey: 'k' });
    await inTransaction('abort', async (session) => {
      await monque.enqueue('sync', { v: 2 }, { uniqueKey: 'k', onDuplicate: 'replace', session });
      await monque.enqueue('sync', { v: 3 }, { uniqueKey: 'k', debounce: 500, session });
    });
    expect(await jobsOfKey(db, monque, 'sync', 'k')).toMatchObject([{ data: { v: 1 }, nextRunAt: T0 }]);
    const replaced = await inTransaction('commit', (session) =>
      monque.enqueue('sync', { v: 4 }, { uniqueKey: 'k', debounce: 500, session }),
    );
    expect(replaced._id.equals(original._id)).toBe(true);
    expect(await jobsOfKey(db, monque, 'sync', 'k')).toMatchObject([
      { data: { v: 4 }, nextRunAt: new Date(T0.getTime() + 500) },
    ]);
  });

  it('replace of a running job: the job queued behind it exists, and the running one gave its key up, only on commit', async (context) => {
    if (transactions !== true) return context.skip(transactions);
    const db = await getDb();
    const monque = createMonque(db);
    const entered = deferred();
    const release = deferred();
    monque.worker('sync', async () => {
      entered.resolve();
      await release.promise;
    });
    await monque.start();
    const running = await monque.enqueue('sync', { v: 1 }, { uniqueKey: 'k' });
    await entered.promise;
    await inTransaction('abort', (session) =>
      monque.enqueue('sync', { v: 2 }, { uniqueKey: 'k', onDuplicate: 'replace', session }),
    );
    expect((await jobsOfKey(db, monque, 'sync', 'k')).map((job) => job.activeKey)).toEqual(['u:k']);
    const queued = await inTransaction('commit', (session) =>
      monque.enqueue(
        'sync',
        { v: 3 },
        { uniqueKey: 'k', onDuplicate: 'replace', session, runAt: new Date(Date.now() + 60_000) },
      ),
    );
    expect((await jobsOfKey(db, monque, 'sync', 'k')).map((job) => [job._id.toHexString(), job.activeKey])).toEqual([
      [running._id.toHexString(), undefined],
      [queued._id.toHexString(), 'u:k'],
    ]);
    release.resolve();
    await waitForStatus(db, monque, running._id, JobStatus.COMPLETED);
    await monque.stop();
  });

  it('throttle: aborted, neither the job nor the window exists (the next call creates); committed, both do', async (context) => {
    if (transactions !== true) return context.skip(transactions);
    const db = await getDb();
    const monque = createMonque(db, { clock: new TestClock(T0) });
    const windows = db.collection(`${monque.options.collectionName}${THROTTLE_COLLECTION_SUFFIX}`);
    const options = { uniqueKey: 'k', throttle: 60_000 };
    await inTransaction('abort', (session) => monque.enqueue('digest', { n: 1 }, { ...options, session }));
    expect(await jobsOf(db, monque).countDocuments()).toBe(0);
    expect(await windows.countDocuments()).toBe(0);
    const created = await inTransaction('commit', (session) =>
      monque.enqueue('digest', { n: 2 }, { ...options, session }),
    );
    expect(await windows.findOne({})).toMatchObject({ inserted: true });
    const again = await monque.enqueue('digest', { n: 3 }, options);
    expect(again._id.equals(created._id)).toBe(true);
    expect(await jobsOf(db, monque).countDocuments()).toBe(1);
  });

  it('enqueueMany items with modes in a transaction: all or nothing', async (context) => {
    if (transactions !== true) return context.skip(transactions);
    const db = await getDb();
    const monque = createMonque(db);
    const items: EnqueueManyItem[] = [
      { name: 'sync', data: { v: 1 }, options: { uniqueKey: 'k', onDuplicate: 'replace' as const } },
      { name: 'sync', data: { v: 2 }, options: { uniqueKey: 'k', onDuplicate: 'replace' as const } },
      { name: 'digest', data: {}, options: { uniqueKey: 'd', throttle: 1_000 } },
      { name: 'plain', data: {} },
    ];
    await inTransaction('abort', (session) => monque.enqueueMany(items, { session }));
    expect(await jobsOf(db, monque).countDocuments()).toBe(0);
    await inTransaction('commit', (session) => monque.enqueueMany(items, { session }));
    expect(await jobsOf(db, monque).countDocuments()).toBe(3);
    expect(await jobsOfKey(db, monque, 'sync', 'k')).toMatchObject([{ data: { v: 2 } }]);
  });
});

describe('an error inside a transaction', () => {
  // The job already there holds the sku; for 'replace of a running job' it also holds the key, so
  // the call makes it give the key up (a write) before its insert fails.
  it.for([
    ['replace', { onDuplicate: 'replace' as const }, false],
    ['replace of a running job', { onDuplicate: 'replace' as const }, true],
    ['throttle', { throttle: 60_000 }, false],
  ] as const)(
    '%s: ends the call at once with that error (the transaction is aborted by it), no second attempt',
    async ([, mode, running], context) => {
      if (transactions !== true) return context.skip(transactions);
      const db = await getDb();
      const log = await openCommandLog(db.databaseName);
      try {
        const collectionName = freshCollectionName(db);
        const monque = createMonque(log.db, { collectionName });
        const first = await monque.enqueue('order', { sku: 'A' }, running ? { uniqueKey: 'k' } : {});
        if (running) await jobsOf(db, monque).updateOne({ _id: first._id }, { $set: { status: 'processing' } });
        await jobsOf(db, monque).createIndex({ 'data.sku': 1 }, { unique: true, name: 'user_sku' });
        log.clear();
        const session = log.db.client.startSession();
        let error: unknown;
        try {
          session.startTransaction();
          error = await monque
            .enqueue('order', { sku: 'A' }, { uniqueKey: 'k', session, ...mode })
            .catch((thrown: unknown) => thrown);
          await session.abortTransaction();
        } finally {
          await session.endSession();
        }
        expect((error as { cause?: { code?: unknown } }).cause?.code).toBe(11000);
        // The transaction decides what is written (the throttle window, or the running job's key
        // given up, went into it before the error).
        expect(error).toMatchObject({ mayHaveBeenApplied: false });
        const jobInserts = log.commands.filter((event) => event.command.insert === collectionName);
        expect(jobInserts).toHaveLength(1);
      } finally {
        await log.close();
      }
    },
  );
});

describe('deduplication modes on enqueueMany items', () => {
  it('items of one key apply in order; other keys and plain items are written too; one result per item', async () => {
    const db = await getDb();
    const monque = createMonque(db, { clock: new TestClock(T0) });
    const events = deduplications(monque);
    const jobs = await monque.enqueueMany([
      { name: 'sync', data: { v: 1 }, options: { uniqueKey: 'k', onDuplicate: 'replace' } },
      { name: 'plain', data: { p: 1 } },
      { name: 'sync', data: { v: 2 }, options: { uniqueKey: 'k' } },
      { name: 'sync', data: { v: 3 }, options: { uniqueKey: 'k', debounce: 100 } },
      { name: 'digest', data: { d: 1 }, options: { uniqueKey: 'd', throttle: 1_000 } },
      { name: 'digest', data: { d: 2 }, options: { uniqueKey: 'd', throttle: 1_000 } },
      { name: 'other', data: { o: 1 }, options: { uniqueKey: 'o' } },
    ]);
    expect(jobs.map((job) => job.data)).toEqual([{ v: 1 }, { p: 1 }, { v: 1 }, { v: 3 }, { d: 1 }, { d: 1 }, { o: 1 }]);
    const [sync] = await jobsOfKey(db, monque, 'sync', 'k');
    expect(sync).toMatchObject({ data: { v: 3 }, nextRunAt: new Date(T0.getTime() + 100) });
    for (const index of [0, 2, 3]) expect(jobs[index]?._id.equals(sync?._id as never)).toBe(true);
    expect(jobs[4]?._id.equals(jobs[5]?._id as never)).toBe(true);
    expect(await jobsOf(db, monque).countDocuments()).toBe(4);
    expect(events.map((event) => event.outcome)).toEqual(['kept', 'debounced', 'throttled']);
  });
});
