/**
 * A batch insert that fails in part: each item gets its own job or its own error, in the order
 * given, and a failure of one item never takes another item's job with it nor reports a job that
 * was not written. The failures are real ones: a unique index of the test's own on `data.n` (the
 * server refuses a duplicate item and, in an unordered batch, writes the rest), and a document over
 * the 16 MiB limit (the driver refuses the whole command before sending it).
 */
import { type Collection, MongoBulkWriteError, MongoNetworkError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/job.js';
import { type InsertResult, InsertStore, type NewJob } from '../../src/store/insert-store.js';
import { isDuplicateKeyError, type JobDocument } from '../../src/store/job-document.js';
import { useTestDb } from '../helpers/monque.js';
import { freshStores, plus, type Stores, stored } from './stores.js';

const getDb = useTestDb(import.meta.url);
const NOW = new Date('2030-01-01T00:00:00Z');
const LATER = plus(NOW, 1_000);
/** Data over the server's 16 MiB document limit. */
const OVERSIZED = { n: -1, blob: 'x'.repeat(17 * 1024 * 1024) };

const job = (n: number, fields: Partial<NewJob> = {}): NewJob => ({
  name: 'task',
  data: { n },
  nextRunAt: NOW,
  ...fields,
});

/** Fresh stores whose collection refuses a second job with the same `data.n`, holding `n: 1`. */
async function storesWithTakenN(): Promise<Stores> {
  const stores = await freshStores(await getDb());
  await stores.collection.createIndex({ 'data.n': 1 }, { unique: true, name: 'test_unique_n' });
  await stores.inserts.insertOne(job(1), NOW);
  return stores;
}

function docOf(result: InsertResult | undefined): JobDocument {
  expect(result).toHaveProperty('doc');
  return (result as { doc: JobDocument }).doc;
}

function errorOf(result: InsertResult | undefined): unknown {
  expect(result).toHaveProperty('error');
  expect(result).not.toHaveProperty('doc');
  return (result as { error: unknown }).error;
}

/** Each returned job is stored exactly as returned; `count` jobs are stored in all. */
async function expectStoredAsReturned(stores: Stores, results: InsertResult[], count: number): Promise<void> {
  for (const result of results) {
    if ('doc' in result) expect(await stored(stores, result.doc._id)).toEqual(result.doc);
  }
  expect(await stores.collection.countDocuments({})).toBe(count);
}

describe('plain items (one unordered insert)', () => {
  it('a refused item gets its error; each other item gets its own job exactly when it was written', async () => {
    const stores = await storesWithTakenN();
    const results = await stores.inserts.insertBatch([job(0), job(1), job(2), job(3)], LATER);
    expect(results).toHaveLength(4);
    expect(isDuplicateKeyError(errorOf(results[1]))).toBe(true);
    // MongoDB writes the rest of an unordered batch; some servers (jongodb) refuse it all. Either
    // way, an item is reported as a job exactly when a job with its data was written.
    for (const index of [0, 2, 3]) {
      const written = await stores.collection.findOne({ 'data.n': index });
      if (written) expect(docOf(results[index])).toEqual(written);
      else errorOf(results[index]);
    }
    await expectStoredAsReturned(stores, results, 1 + results.filter((result) => 'doc' in result).length);
  });

  it('a lone refused item gets its error', async () => {
    const stores = await storesWithTakenN();
    const [only] = await stores.inserts.insertBatch([job(1)], LATER);
    expect(isDuplicateKeyError(errorOf(only))).toBe(true);
    expect(await stores.collection.countDocuments({})).toBe(1);
  });

  it('a command refused as a whole: every plain item gets that error; keyed items still get their jobs', async () => {
    const stores = await freshStores(await getDb());
    const results = await stores.inserts.insertBatch(
      [job(0), { ...job(0), data: OVERSIZED }, job(5, { uniqueKey: 'a' }), job(2), job(6, { uniqueKey: 'b' })],
      LATER,
    );
    const error = errorOf(results[0]);
    expect(error).toBeInstanceOf(Error);
    expect([1, 3].map((index) => errorOf(results[index]))).toEqual([error, error]);
    expect(docOf(results[2])).toMatchObject({ data: { n: 5 }, activeKey: 'u:a', status: JobStatus.PENDING });
    expect(docOf(results[4])).toMatchObject({ data: { n: 6 }, activeKey: 'u:b', status: JobStatus.PENDING });
    await expectStoredAsReturned(stores, results, 2);
  });
});

describe('a large insert the driver splits into several batches (over 48 MB)', () => {
  /**
   * `collection` whose `insertMany` does what the driver does when a later batch of a large
   * unordered insert loses its connection: the first batch is written except one item the server
   * refused (a write error), the later batch is never written, and the driver throws a
   * MongoBulkWriteError wrapping the network error. (The embedded server cannot be made to split
   * a batch and refuse a single item, so the collection plays the driver's part.)
   */
  function splitInsertLosingItsLaterBatch(
    collection: Collection<JobDocument>,
    withEarlierWriteErrors: boolean,
  ): Collection<JobDocument> {
    return new Proxy(collection, {
      get(target, property, receiver) {
        if (property !== 'insertMany') return Reflect.get(target, property, receiver);
        return async (docs: JobDocument[]) => {
          const firstBatch = docs.slice(0, Math.ceil(docs.length / 2));
          await target.insertMany(firstBatch.filter((_, index) => index !== 1));
          const error = new MongoBulkWriteError(
            new MongoNetworkError('connection reset (second batch)') as never,
            {} as never,
          );
          // The driver keeps the earlier batch's write errors in its result; a driver that put
          // them on the error must not make the unsent batch look written.
          if (withEarlierWriteErrors) Object.assign(error, { writeErrors: [{ index: 1, code: 11000 }] });
          throw error;
        };
      },
    });
  }

  it.each([
    ['as the driver reports it (the write errors kept in its result)', false],
    ['with the earlier write errors on the error too', true],
  ])(
    'an earlier batch with a write error and a later one with a network error, %s: exactly the items written are returned',
    async (_, withEarlierWriteErrors) => {
      const stores = await freshStores(await getDb());
      const inserts = new InsertStore(splitInsertLosingItsLaterBatch(stores.collection, withEarlierWriteErrors));
      const results = await inserts.insertBatch(
        [0, 1, 2, 3, 4, 5].map((n) => job(n)),
        LATER,
      );
      expect([0, 2].map((index) => docOf(results[index]).data)).toEqual([{ n: 0 }, { n: 2 }]);
      for (const index of [1, 3, 4, 5]) errorOf(results[index]);
      await expectStoredAsReturned(stores, results, 2);
    },
  );
});

describe('keyed items (one unordered upsert batch, one read-back)', () => {
  it('a key whose upsert the server refuses gets the error after its own retries; other keys get their jobs', async () => {
    const stores = await storesWithTakenN();
    const results = await stores.inserts.insertBatch(
      [job(0, { uniqueKey: 'a' }), job(1, { uniqueKey: 'b' }), job(2, { uniqueKey: 'c' }), job(3, { uniqueKey: 'b' })],
      LATER,
    );
    expect(isDuplicateKeyError(errorOf(results[1]))).toBe(true);
    expect(errorOf(results[3])).toBe(errorOf(results[1]));
    expect(docOf(results[0])).toMatchObject({ data: { n: 0 }, activeKey: 'u:a' });
    expect(docOf(results[2])).toMatchObject({ data: { n: 2 }, activeKey: 'u:c' });
    await expectStoredAsReturned(stores, results, 3);
    expect(await stores.collection.countDocuments({ activeKey: 'u:b' })).toBe(0);
  });

  it('a batch refused as a whole: every keyed item gets that error, and nothing is written', async () => {
    const stores = await freshStores(await getDb());
    const results = await stores.inserts.insertBatch(
      [job(0, { uniqueKey: 'a' }), { ...job(0, { uniqueKey: 'b' }), data: OVERSIZED }, job(2, { uniqueKey: 'c' })],
      LATER,
    );
    const error = errorOf(results[0]);
    expect(error).toBeInstanceOf(Error);
    expect(isDuplicateKeyError(error)).toBe(false);
    expect([1, 2].map((index) => errorOf(results[index]))).toEqual([error, error]);
    expect(await stores.collection.countDocuments({})).toBe(0);
  });

  it('a lone key refused gets its error', async () => {
    const stores = await storesWithTakenN();
    const results = await stores.inserts.insertBatch([job(1, { uniqueKey: 'a' }), job(1, { uniqueKey: 'a' })], LATER);
    expect(isDuplicateKeyError(errorOf(results[0]))).toBe(true);
    expect(errorOf(results[1])).toBe(errorOf(results[0]));
    expect(await stores.collection.countDocuments({})).toBe(1);
  });
});
