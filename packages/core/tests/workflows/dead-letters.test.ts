/**
 * Dead letters, black-box: a job failing for good enqueues one job of its `deadLetter` name (the
 * job's own, else its worker's) with the same data and `deadLetterOf`; a failure that will be
 * retried does not; a stale recovery that fails a job for good does; dependents are cancelled too.
 */
import { waitUntil } from '@monque/test-backend';
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { JobStatus, UnrecoverableError } from '../../src/index.js';
import { nextEvent, useTestDb, waitForStatus } from '../helpers/monque.js';
import { createWorkflowMonque, rawJobs, stored } from './helpers.js';

const getDb = useTestDb(import.meta.url);

describe('dead letters', () => {
  it('a job failing for good enqueues its dead letter: same data, deadLetterOf, due now, run by its worker', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    let attempts = 0;
    monque.worker('charge', () => {
      attempts += 1;
      throw new Error(`declined ${attempts}`);
    });
    const letters: unknown[] = [];
    monque.worker('charge-failed', (job) => {
      letters.push({ data: job.data, deadLetterOf: job.deadLetterOf });
    });
    const job = await monque.enqueue('charge', { order: 1 }, { maxRetries: 2, deadLetter: 'charge-failed' });
    expect(job.deadLetter).toBe('charge-failed');
    const ran = nextEvent(monque, 'job:complete', ({ job: done }) => done.name === 'charge-failed');
    await monque.start();
    await ran;
    await monque.stop();
    expect(attempts).toBe(2);
    expect(letters).toEqual([
      { data: { order: 1 }, deadLetterOf: { jobId: job._id, name: 'charge', failReason: 'declined 2', failCount: 2 } },
    ]);
    const failed = await stored(db, monque, job._id);
    expect(failed).toMatchObject({ status: JobStatus.FAILED });
    expect(failed).not.toHaveProperty('deadLetterDue');
    expect(failed?.expireAt).toBeInstanceOf(Date);
  });

  it('the worker’s deadLetter applies unless the job names its own; none for a job without either', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    monque.worker(
      'sync',
      () => {
        throw new UnrecoverableError('gone');
      },
      { deadLetter: 'sync-failed' },
    );
    monque.worker('plain', () => {
      throw new UnrecoverableError('gone');
    });
    const byWorker = await monque.enqueue('sync', { n: 1 });
    const own = await monque.enqueue('sync', { n: 2 }, { deadLetter: 'sync-own' });
    const none = await monque.enqueue('plain', { n: 3 });
    await monque.start();
    for (const id of [byWorker._id, own._id, none._id]) await waitForStatus(db, monque, id, JobStatus.FAILED);
    await waitUntil(
      async () => (await rawJobs(db, monque).countDocuments({ deadLetterOf: { $exists: true } })) === 2,
      'two dead letters',
    );
    await monque.stop();
    const letters = await rawJobs(db, monque)
      .find({ deadLetterOf: { $exists: true } })
      .toArray();
    expect(letters.map((letter) => [letter.name, letter.data]).sort()).toEqual([
      ['sync-failed', { n: 1 }],
      ['sync-own', { n: 2 }],
    ]);
  });

  it('a failure that will be retried writes none; a retried job failing again for good writes a second one', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    monque.worker('flaky', () => {
      throw new Error('no');
    });
    const job = await monque.enqueue('flaky', {}, { maxRetries: 2, deadLetter: 'flaky-failed' });
    await monque.start();
    await waitForStatus(db, monque, job._id, JobStatus.FAILED);
    await waitUntil(async () => (await stored(db, monque, job._id))?.deadLetterDue === undefined, 'written');
    expect(await rawJobs(db, monque).countDocuments({ name: 'flaky-failed' })).toBe(1);
    await monque.retryJob(job._id);
    await waitUntil(
      async () => (await rawJobs(db, monque).countDocuments({ name: 'flaky-failed' })) === 2,
      'a second dead letter',
    );
    await monque.stop();
  });

  it('a stale recovery that fails a job for good writes its dead letter', async () => {
    const db = await getDb();
    // Every recovery charged (a planted job has no stamp: this instance's maxStalls applies).
    const monque = createWorkflowMonque(db, { lockTimeout: 1_000, clockSkewTolerance: 0, maxStalls: 0 });
    const now = new Date();
    const id = new ObjectId();
    await monque.countJobs();
    await rawJobs(db, monque).insertOne({
      _id: id,
      name: 'crashy',
      data: { n: 9 },
      status: JobStatus.PROCESSING,
      nextRunAt: now,
      lockedAt: new Date(now.getTime() - 60_000),
      owner: 'gone-instance',
      claimToken: 'old',
      failCount: 0,
      attempts: 1,
      maxRetries: 1,
      deadLetter: 'crashy-failed',
      createdAt: now,
      updatedAt: now,
    });
    await monque.start();
    await waitUntil(async () => (await rawJobs(db, monque).countDocuments({ name: 'crashy-failed' })) === 1, 'dl');
    await monque.stop();
    expect(await stored(db, monque, id)).toMatchObject({ status: JobStatus.FAILED });
    expect(await rawJobs(db, monque).findOne({ name: 'crashy-failed' })).toMatchObject({
      data: { n: 9 },
      deadLetterOf: { jobId: id, name: 'crashy', failCount: 1 },
    });
  });

  it('a job with dependents and a dead letter: both are paid, then retention applies', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    monque.worker('parent', () => {
      throw new UnrecoverableError('no');
    });
    const parent = await monque.enqueue('parent', {}, { deadLetter: 'parent-failed' });
    const child = await monque.enqueue('child', {}, { dependsOn: [parent._id] });
    await monque.start();
    await waitForStatus(db, monque, child._id, JobStatus.CANCELLED);
    await waitUntil(async () => (await stored(db, monque, parent._id))?.expireAt !== undefined, 'retention set');
    await monque.stop();
    expect(await rawJobs(db, monque).countDocuments({ name: 'parent-failed' })).toBe(1);
    const failed = await stored(db, monque, parent._id);
    expect(failed).not.toHaveProperty('deadLetterDue');
    expect(failed).not.toHaveProperty('notifyDependents');
  });
});
