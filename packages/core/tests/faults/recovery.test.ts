/**
 * Stale recovery decides from the job document alone: a job recovered by an instance that has no
 * worker for it (or other defaults) follows the retry limit of the worker that claimed it; a job
 * left `processing` without a claim token (an earlier version, another tool, a hand edit) is
 * recovered like any stale job.
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/index.js';
import { faultyMonque } from '../helpers/faulty.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

describe('a job recovered by another instance', () => {
  it("follows the retry limit of the worker that claimed it, not the recovering instance's default", async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const timing = { lockTimeout: 600, heartbeatInterval: 100, staleCheckInterval: 100, shutdownTimeout: 200 };
    // Every recovery charged (maxStalls 0, stamped by the owner's claim).
    const owner = await faultyMonque(db, collectionName, { ...timing, instanceId: 'owner', maxStalls: 0 });
    // No worker for the job here, and the default of 10 retries.
    const rescuer = createMonque(db, { ...timing, collectionName, instanceId: 'rescuer' });
    const hang = deferred();
    owner.monque.worker('fragile', () => hang.promise, { maxRetries: 1 });
    const job = await owner.monque.enqueue('fragile', {});
    const started = nextEvent(owner.monque, 'job:start');
    await owner.monque.start();
    await started;
    // The owner is cut off for good: its lock expires, and the other instance recovers the job.
    owner.proxy.partition({ mode: 'blackhole' });
    const recovered = nextEvent(rescuer, 'job:recovered');
    await rescuer.start();
    const { willRetry } = await recovered;
    hang.resolve();
    await rescuer.stop();
    owner.proxy.heal();
    await owner.monque.stop();
    expect(willRetry).toBe(false);
    expect(await jobsOf(db, rescuer).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.FAILED,
      failCount: 1,
    });
  });
});

describe('a job left processing without a claim token', () => {
  it.each([
    ['with an old lock: at first sight', { lockedAt: new Date(Date.now() - 60 * 60_000) }],
    ['without any lock time: once watched for lockTimeout', {}],
  ])('%s, it is recovered like any stale job and runs again', async (_, lock) => {
    const db = await getDb();
    const monque = createMonque(db, { lockTimeout: 1_000, staleCheckInterval: 100 });
    const long = new Date(Date.now() - 60 * 60_000);
    const { insertedId } = await db.collection(monque.options.collectionName).insertOne({
      name: 'legacy',
      data: {},
      status: JobStatus.PROCESSING,
      nextRunAt: long,
      priority: 0,
      ...lock,
      failCount: 0,
      attempts: 1,
      createdAt: long,
      updatedAt: long,
      owner: 'an earlier version',
    });
    let runs = 0;
    monque.worker('legacy', () => {
      runs += 1;
    });
    const recovered = nextEvent(monque, 'job:recovered');
    await monque.start();
    const { job } = await recovered;
    await waitUntil(
      async () => (await jobsOf(db, monque).findOne({ _id: insertedId }))?.status === JobStatus.COMPLETED,
      'the recovered job to run',
    );
    await monque.stop();
    expect(job._id.equals(insertedId)).toBe(true);
    expect(runs).toBe(1);
  });
});
