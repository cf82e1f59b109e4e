import { freshCollectionName, waitUntil } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { RetentionSweeper } from '../../src/engine/retention-sweeper.js';
import { MonqueEventEmitter } from '../../src/events.js';
import { type Job, JobStatus, type Monque } from '../../src/index.js';
import type { Logger } from '../../src/monque-options.js';
import { silentLogger } from '../../src/options.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { RetentionStore } from '../../src/store/retention-store.js';
import { METRICS_RETENTION_MS, type MetricDocument, metricId, minuteOf } from '../../src/store/throughput-store.js';
import { openOwnClient, useOwnClients } from '../helpers/own-client.js';
import { TestClock } from '../helpers/test-clock.js';
import { createOpsMonque, insertJobs, rawJobs, rememberSideCollections, useOperationsDb } from './helpers.js';

const getDb = useOperationsDb(import.meta.url);
useOwnClients();

const HOUR = 60 * 60 * 1000;

function storeOf(db: Db, monque: Monque): RetentionStore {
  return new RetentionStore(
    rawJobs(db, monque),
    db.collection<MetricDocument>(`${monque.options.collectionName}_metrics`),
  );
}

function sweeperOf(
  db: Db,
  monque: Monque,
  clock: TestClock,
  extra: Partial<ConstructorParameters<typeof RetentionSweeper>[0]> = {},
) {
  return new RetentionSweeper({
    store: storeOf(db, monque),
    clock,
    interval: 60_000,
    events: new MonqueEventEmitter(),
    logger: silentLogger,
    ...extra,
  });
}

describe('the retention sweep', () => {
  it('deletes finished jobs and counters whose expireAt has passed, and keeps everything else', async () => {
    const db = await getDb();
    const clock = new TestClock('2030-06-01T00:00:00Z');
    const monque = createOpsMonque(db, { clock });
    const past = new Date(clock.now().getTime() - HOUR);
    const future = new Date(clock.now().getTime() + HOUR);
    const docs = await insertJobs(db, monque, [
      { status: JobStatus.COMPLETED, expireAt: past },
      { status: JobStatus.FAILED, expireAt: past },
      { status: JobStatus.CANCELLED, expireAt: clock.now() },
      { status: JobStatus.COMPLETED, expireAt: future },
      { status: JobStatus.FAILED },
      { status: JobStatus.PENDING },
      // Active jobs are never deleted, whatever their fields say.
      { status: JobStatus.PENDING, expireAt: past },
      { status: JobStatus.PROCESSING, expireAt: past },
    ]);
    const metrics = db.collection<MetricDocument>(`${monque.options.collectionName}_metrics`);
    // Counters as the recorder writes them: keyed by minute, expiring 2 days after it.
    const metric = (expireAt: Date): MetricDocument => {
      const minute = minuteOf(new Date(expireAt.getTime() - METRICS_RETENTION_MS));
      return { _id: metricId(minute, 'm'), name: 'm', minute, completed: 1, failed: 0, expireAt };
    };
    const [old, fresh] = [metric(past), metric(future)];
    await metrics.insertMany([old, fresh]);

    const sweeper = sweeperOf(db, monque, clock);
    expect(await sweeper.sweepOnce()).toEqual({ jobs: 3, metrics: 1 });
    const left = (await rawJobs(db, monque).find({}).toArray()).map((job) =>
      docs.findIndex((d) => d._id.equals(job._id)),
    );
    expect(left.sort()).toEqual([3, 4, 5, 6, 7]);
    expect((await metrics.find({}).toArray()).map((doc) => doc._id)).toEqual([fresh._id]);
    // Idempotent: nothing more is due.
    expect(await sweeper.sweepOnce()).toEqual({ jobs: 0, metrics: 0 });
    clock.advance(2 * HOUR);
    expect(await sweeper.sweepOnce()).toEqual({ jobs: 1, metrics: 1 });
  });

  it('deletes at most maxPerSweep jobs per sweep, oldest expiry first', async () => {
    const db = await getDb();
    const clock = new TestClock('2030-06-01T00:00:00Z');
    const monque = createOpsMonque(db, { clock });
    const docs = await insertJobs(
      db,
      monque,
      Array.from({ length: 120 }, (_, i) => ({
        status: JobStatus.COMPLETED,
        expireAt: new Date(clock.now().getTime() - (i + 1) * 1000),
      })),
    );
    const sweeper = sweeperOf(db, monque, clock, { maxPerSweep: 50 });
    expect((await sweeper.sweepOnce()).jobs).toBe(50);
    // The 50 that expired longest ago went first.
    const left = new Set((await rawJobs(db, monque).find({}).toArray()).map((job) => job._id.toHexString()));
    expect(docs.slice(70).every((doc) => !left.has(doc._id.toHexString()))).toBe(true);
    expect((await sweeper.sweepOnce()).jobs).toBe(50);
    expect((await sweeper.sweepOnce()).jobs).toBe(20);
    expect((await sweeper.sweepOnce()).jobs).toBe(0);
    expect(await rawJobs(db, monque).countDocuments({})).toBe(0);
  });

  it('removes a job cancelled by an operator once retention.cancelled has passed', async () => {
    const db = await getDb();
    const clock = new TestClock('2030-06-01T00:00:00Z');
    const monque = createOpsMonque(db, { clock, retention: { cancelled: HOUR } });
    const job = await monque.enqueue('x', null);
    const kept = await monque.enqueue('x', null);
    await monque.cancelJob(job._id);
    const sweeper = sweeperOf(db, monque, clock);
    clock.advance(HOUR - 1);
    expect((await sweeper.sweepOnce()).jobs).toBe(0);
    clock.advance(1);
    expect((await sweeper.sweepOnce()).jobs).toBe(1);
    expect(await monque.getJob(job._id)).toBeNull();
    expect((await monque.getJob(kept._id))?.status).toBe(JobStatus.PENDING);
  });

  it('sweeps on its timer until stopped', async () => {
    const db = await getDb();
    const clock = new TestClock('2030-06-01T00:00:00Z');
    const monque = createOpsMonque(db, { clock });
    const sweeper = sweeperOf(db, monque, clock, { interval: 20 });
    sweeper.start();
    sweeper.start(); // harmless
    await insertJobs(db, monque, [{ status: JobStatus.COMPLETED, expireAt: new Date(0) }]);
    await waitUntil(async () => (await rawJobs(db, monque).countDocuments({})) === 0, 'the sweep', {
      timeoutMs: 5_000,
    });
    await sweeper.stop();
    await insertJobs(db, monque, [{ status: JobStatus.COMPLETED, expireAt: new Date(0) }]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await rawJobs(db, monque).countDocuments({})).toBe(1);
  });

  it('reports a failed sweep as job:error and to the logger, and keeps sweeping', async () => {
    const db = await getDb();
    const { client, link } = await openOwnClient();
    const collectionName = freshCollectionName(db);
    rememberSideCollections(collectionName);
    const own = client.db(db.databaseName);
    const events = new MonqueEventEmitter();
    const errors: Error[] = [];
    events.on('job:error', ({ error }) => errors.push(error));
    const logged: string[] = [];
    const logger: Logger = { ...silentLogger, error: (message) => logged.push(message) };
    const sweeper = new RetentionSweeper({
      store: new RetentionStore(
        own.collection<JobDocument>(collectionName),
        own.collection<MetricDocument>(`${collectionName}_metrics`),
      ),
      clock: new TestClock('2030-06-01T00:00:00Z'),
      interval: 20,
      events,
      logger,
    });
    link.pause();
    sweeper.start();
    await waitUntil(() => errors.length > 0, 'a failed sweep to be reported', { timeoutMs: 10_000 });
    expect(logged[0]).toBe('retention: sweep failed');
    link.resume();
    const jobs = db.collection<Job>(collectionName);
    await jobs.insertOne({ ...({} as Job), status: JobStatus.FAILED, expireAt: new Date(0) } as Job);
    await waitUntil(async () => (await jobs.countDocuments({})) === 0, 'a sweep after the link is back', {
      timeoutMs: 10_000,
    });
    await sweeper.stop();
  });
});
