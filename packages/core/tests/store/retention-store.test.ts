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
import { METRICS_RETENTION_MS, type MetricDocument, MINUTE_MS, metricId } from '../../src/store/throughput-store.js';
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

/** The counters of `name` for the minute that expires `expiresIn` ms after NOW (negative: before). */
function metric(expiresIn: number, name = 'task'): MetricDocument {
  const minute = new Date(NOW.getTime() - METRICS_RETENTION_MS + expiresIn);
  return { _id: metricId(minute, name), name, minute, completed: 1, failed: 0, expireAt: plus(NOW, expiresIn) };
}

async function remainingIds(collection: { find(filter: object): { toArray(): Promise<{ _id: unknown }[]> } }) {
  return (await collection.find({}).toArray()).map((doc) => String(doc._id)).sort();
}

describe('RetentionStore.deleteExpired', () => {
  it('expiry boundary: deletes what expires at or before now, keeps what expires later', async () => {
    const { stores, metrics, sweep } = await setup(await getDb());
    await storeJob(stores, NOW, { status: JobStatus.COMPLETED, expireAt: NOW });
    await storeJob(stores, NOW, { status: JobStatus.FAILED, expireAt: plus(NOW, -1) });
    const later = await storeJob(stores, NOW, { status: JobStatus.CANCELLED, expireAt: plus(NOW, 1) });
    const forever = await storeJob(stores, NOW, { status: JobStatus.COMPLETED });
    const [atNow, before, after] = [metric(0), metric(-MINUTE_MS), metric(MINUTE_MS)];
    await metrics.insertMany([atNow, before, after]);
    // 1 ms before, the counters expiring now are kept.
    expect(await sweep.deleteExpired(plus(NOW, -1))).toEqual({ jobs: 1, metrics: 1 });
    expect(await remainingIds(metrics)).toEqual([atNow._id, after._id].sort());
    expect(await sweep.deleteExpired(NOW)).toEqual({ jobs: 1, metrics: 1 });
    expect(await remainingIds(stores.collection)).toEqual([later._id, forever._id].map(String).sort());
    expect(await remainingIds(metrics)).toEqual([after._id]);
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

  it('expiry guard of the delete: counters given a later expiry between the read and the delete are kept', async () => {
    const db = await getDb();
    const { stores, metrics } = await setup(db);
    const [extended, expired] = [metric(-1, 'extended'), metric(-1, 'expired')];
    await metrics.insertMany([extended, expired]);
    const extend = () => metrics.updateOne({ _id: extended._id }, { $set: { expireAt: plus(NOW, 60_000) } });
    const racing = new RetentionStore(stores.collection, withRace(metrics, { after: 'find', meddle: extend }));
    expect(await racing.deleteExpired(NOW)).toEqual({ jobs: 0, metrics: 1 });
    expect(await remainingIds(metrics)).toEqual([extended._id]);
  });

  it('deletes at most `limit` per collection and sweep, the oldest expiry first', async () => {
    const { stores, metrics, sweep } = await setup(await getDb());
    const expiries = [-1, -5, -3, -4, -2].map((ms) => plus(NOW, ms));
    const jobs = [];
    for (const expireAt of expiries) jobs.push(await storeJob(stores, NOW, { status: JobStatus.COMPLETED, expireAt }));
    const counters = [-1, -5, -3, -4, -2].map((minutes) => metric(minutes * MINUTE_MS));
    await metrics.insertMany(counters);
    expect(await sweep.deleteExpired(NOW, 2)).toEqual({ jobs: 2, metrics: 2 });
    // Expiring 5 and 4 (ms, minutes) before now went first.
    expect(await remainingIds(stores.collection)).toEqual(
      [jobs[0], jobs[2], jobs[4]].map((job) => String(job?._id)).sort(),
    );
    expect(await remainingIds(metrics)).toEqual(
      [counters[0], counters[2], counters[4]].map((m) => String(m?._id)).sort(),
    );
    expect(await sweep.deleteExpired(NOW)).toEqual({ jobs: 3, metrics: 3 });
    expect(await sweep.deleteExpired(NOW)).toEqual({ jobs: 0, metrics: 0 });
  });
});
