/**
 * How the unique-key writes treat a duplicate-key refusal of their upsert (the loss of a race with
 * another writer of the same key): they try again, at most 5 times, then pass the refusal on; any
 * other error is passed on at once. The refusal is a real one, from a unique index of the test's
 * own on `data.v` that another job already fills, so it comes back on every attempt.
 */
import { describe, expect, it } from 'vitest';
import { InsertStore } from '../../src/store/insert-store.js';
import { isDuplicateKeyError } from '../../src/store/job-document.js';
import { ScheduleStore } from '../../src/store/schedule-store.js';
import { useTestDb } from '../helpers/monque.js';
import { countingCalls } from './race.js';
import { freshStores, plus, type Stores, storeJob } from './stores.js';

const getDb = useTestDb(import.meta.url);
const NOW = new Date('2030-01-01T00:00:00Z');
const NEXT = plus(NOW, 3_600_000);
/** Data over the server's 16 MiB document limit: the driver refuses it, not as a duplicate. */
const OVERSIZED = { v: 2, blob: 'x'.repeat(17 * 1024 * 1024) };

/** Fresh stores whose collection refuses a second job with `data.v` 1 (one exists). */
async function storesWithTakenV(): Promise<Stores> {
  const stores = await freshStores(await getDb());
  await stores.collection.createIndex({ 'data.v': 1 }, { unique: true, name: 'test_unique_v' });
  await storeJob(stores, NOW, { name: 'other', data: { v: 1 } });
  return stores;
}

async function refusal(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => expect.fail('expected a refusal'),
    (error: unknown) => error,
  );
}

describe('duplicate-key refusals of unique-key upserts', () => {
  it('schedule: tried 5 times, then the refusal is passed on; nothing is written', async () => {
    const stores = await storesWithTakenV();
    const counted = countingCalls(stores.collection, 'findOneAndUpdate');
    const schedules = new ScheduleStore(counted.collection);
    const spec = { name: 'report', data: { v: 1 }, cron: '0 * * * *', nextRunAt: NEXT };
    expect(isDuplicateKeyError(await refusal(schedules.upsert(spec, NOW)))).toBe(true);
    expect(counted.calls).toBe(5);
    expect(await stores.collection.countDocuments({ name: 'report' })).toBe(0);
  });

  it('schedule: another error is passed on at once', async () => {
    const stores = await storesWithTakenV();
    const counted = countingCalls(stores.collection, 'findOneAndUpdate');
    const spec = { name: 'report', data: OVERSIZED, cron: '0 * * * *', nextRunAt: NEXT };
    const error = await refusal(new ScheduleStore(counted.collection).upsert(spec, NOW));
    expect(isDuplicateKeyError(error)).toBe(false);
    expect(counted.calls).toBe(1);
  });

  it('enqueue with a unique key: tried 5 times, reading the holder after each refusal, then passed on', async () => {
    const stores = await storesWithTakenV();
    const upserts = countingCalls(stores.collection, 'findOneAndUpdate');
    const reads = countingCalls(upserts.collection, 'findOne');
    const inserts = new InsertStore(reads.collection);
    const job = { name: 'task', data: { v: 1 }, nextRunAt: NOW, uniqueKey: 'k' };
    expect(isDuplicateKeyError(await refusal(inserts.insertOne(job, NOW)))).toBe(true);
    expect([upserts.calls, reads.calls]).toEqual([5, 4]);
    expect(await stores.collection.countDocuments({ name: 'task' })).toBe(0);
  });

  it('enqueue with a unique key: another error is passed on at once', async () => {
    const stores = await storesWithTakenV();
    const upserts = countingCalls(stores.collection, 'findOneAndUpdate');
    const job = { name: 'task', data: OVERSIZED, nextRunAt: NOW, uniqueKey: 'k' };
    expect(isDuplicateKeyError(await refusal(new InsertStore(upserts.collection).insertOne(job, NOW)))).toBe(false);
    expect(upserts.calls).toBe(1);
  });
});
