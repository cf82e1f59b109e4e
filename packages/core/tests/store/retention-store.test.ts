/**
 * The retention sweep's guards, with a fixed `now`: a document is deleted once its `expireAt` is
 * reached (the boundary included), never before; a job only while it is finished (`completed`,
 * `failed`, `cancelled`) — an active job is never deleted, whatever its fields say, even when it
 * became active again between the sweep's read and its delete; at most `limit` per collection,
 * the oldest expiry first.
 */
import { freshCollectionName } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/job.js';
import { RetentionStore } from '../../src/store/retention-store.js';
import { METRICS_RETENTION_MS, type MetricDocument, metricId, minuteOf } from '../../src/store/throughput-store.js';
import { useTestDb } from '../helpers/monque.js';
import { withRace } from './race.js';
import { freshStores, heldJob, plus, storeJob } from './stores.js';

const getDb = useTestDb(import.meta.url);
const NOW = new Date('2030-01-01T00:00:00Z');

async function setup(db: Db) {
  const stores = await freshStores(db);
  const metrics = db.collection<MetricDocument>(freshCollectionName(db, 'metrics'));
  return { stores, metrics, sweep: new RetentionStore(stores.collection, metrics) };
}

/** A counter as the recorder writes it (keyed by its minute, expiring 2 days after it), named `name`. */
const metric = (name: string, expireAt: Date): MetricDocument => {
  const minute = minuteOf(new Date(expireAt.getTime() - METRICS_RETENTION_MS));
  return { _id: metricId(minute, name), name, minute, completed: 1, failed: 0, expireAt };
};

/** What is left: job ids, or counters' names. */
async function remainingIds(collection: { find(filter: object): { toArray(): Promise<{ _id: unknown }[]> } }) {
  return (await collection.find({}).toArray()).map((doc) => String(doc._id).split('|').pop() as string).sort();
}

describe('RetentionStore.deleteExpired', () => {
  it('expiry boundary: deletes what expires at or before now, keeps what expires 1 ms later', async () => {
    const { stores, metrics, sweep } = await setup(await getDb());
    await storeJob(stores, NOW, { status: JobStatus.COMPLETED, expireAt: NOW });
    await storeJob(stores, NOW, { status: JobStatus.FAILED, expireAt: plus(NOW, -1) });
    const later = await storeJob(stores, NOW, { status: JobStatus.CANCELLED, expireAt: plus(NOW, 1) });
    const forever = await storeJob(stores, NOW, { status: JobStatus.COMPLETED });
    await metrics.insertMany([metric('now', NOW), metric('before', plus(NOW, -1)), metric('later', plus(NOW, 1))]);
    expect(await sweep.deleteExpired(NOW)).toEqual({ jobs: 2, metrics: 2 });
    expect(await remainingIds(stores.collection)).toEqual([later._id, forever._id].map(String).sort());
    expect(await remainingIds(metrics)).toEqual(['later']);
  });

  it('status guard: an active job is never deleted, whatever its expireAt says', async () => {
    const { stores, sweep } = await setup(await getDb());
    const pending = await storeJob(stores, NOW, { expireAt: plus(NOW, -60_000) });
    const running = await heldJob(stores, NOW, 'me', 'c', { expireAt: plus(NOW, -60_000) });
    await storeJob(stores, NOW, { status: JobStatus.COMPLETED, expireAt: plus(NOW, -60_000) });
    expect(await sweep.deleteExpired(NOW)).toEqual({ jobs: 1, metrics: 0 });
    expect(await remainingIds(stores.collection)).toEqual([pending._id, running._id].map(String).sort());
  });

  it('status guard of the delete: a job retried between the sweep`s read and its delete is kept', async () => {
    const db = await getDb();
    const { stores, metrics } = await setup(db);
    const failed = await storeJob(stores, NOW, { status: JobStatus.FAILED, expireAt: plus(NOW, -1) });
    await storeJob(stores, NOW, { status: JobStatus.FAILED, expireAt: plus(NOW, -1) });
    const retried = () => stores.collection.updateOne({ _id: failed._id }, { $set: { status: JobStatus.PENDING } });
    const racing = new RetentionStore(withRace(stores.collection, { after: 'find', meddle: retried }), metrics);
    expect(await racing.deleteExpired(NOW)).toEqual({ jobs: 1, metrics: 0 });
    expect(await remainingIds(stores.collection)).toEqual([String(failed._id)]);
  });

  it('expiry guard of the delete: a document given a later expiry between the read and the delete is kept', async () => {
    const db = await getDb();
    const { stores, metrics } = await setup(db);
    await metrics.insertMany([metric('extended', plus(NOW, -1)), metric('expired', plus(NOW, -1))]);
    const extend = () => metrics.updateOne({ name: 'extended' }, { $set: { expireAt: plus(NOW, 60_000) } });
    const racing = new RetentionStore(stores.collection, withRace(metrics, { after: 'find', meddle: extend }));
    expect(await racing.deleteExpired(NOW)).toEqual({ jobs: 0, metrics: 1 });
    expect(await remainingIds(metrics)).toEqual(['extended']);
  });

  it('deletes at most `limit` per collection and sweep, the oldest expiry first', async () => {
    const { stores, metrics, sweep } = await setup(await getDb());
    const expiries = [-1, -5, -3, -4, -2].map((ms) => plus(NOW, ms));
    const jobs = [];
    for (const expireAt of expiries) jobs.push(await storeJob(stores, NOW, { status: JobStatus.COMPLETED, expireAt }));
    // Counters expire a whole minute at a time (2 days after their minute): their order is by minute.
    await metrics.insertMany(
      expiries.map((expireAt, n) => metric(`m${n}`, plus(expireAt, (expireAt.getTime() - NOW.getTime()) * 59_999))),
    );
    expect(await sweep.deleteExpired(NOW, 2)).toEqual({ jobs: 2, metrics: 2 });
    // -5 and -4 went first.
    expect(await remainingIds(stores.collection)).toEqual(
      [jobs[0], jobs[2], jobs[4]].map((job) => String(job?._id)).sort(),
    );
    expect(await remainingIds(metrics)).toEqual(['m0', 'm2', 'm4']);
    expect(await sweep.deleteExpired(NOW)).toEqual({ jobs: 3, metrics: 3 });
    expect(await sweep.deleteExpired(NOW)).toEqual({ jobs: 0, metrics: 0 });
  });
});
