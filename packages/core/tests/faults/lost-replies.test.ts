/**
 * Replies lost after the server applied a command: a claim whose reply is lost costs nothing (the
 * instance finds its jobs by the claim's token and runs them, never waiting for lockTimeout and never
 * charging a failure), and an outcome write whose reply is lost is recognised when retried.
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { ConnectionError, JobStatus } from '../../src/index.js';
import { faultyMonque, isClaim, isOutcome } from '../helpers/faulty.js';
import { createMonque, jobsOf, nextEvent, useTestDb, waitForStatus } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

describe('a lost claim reply', () => {
  it.each([
    ['one job (findAndModify)', 1],
    ['a batch (updateMany)', 4],
  ])('of %s: the jobs run at once, uncharged, even with maxRetries 1', async (_, count) => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const { monque, proxy } = await faultyMonque(db, collectionName, { maxRetries: 1, lockTimeout: 30 * 60_000 });
    const runs = new Map<string, number>();
    monque.worker(
      'lost-reply',
      (job) => {
        runs.set(job._id.toHexString(), (runs.get(job._id.toHexString()) ?? 0) + 1);
      },
      { concurrency: count },
    );
    const jobs = await monque.enqueueMany(
      Array.from({ length: count }, (_, i) => ({ name: 'lost-reply', data: { i } })),
    );
    const lost = proxy.loseReply(isClaim);
    await monque.start();
    await lost.firstHit;
    await waitUntil(
      async () => (await jobsOf(db, monque).countDocuments({ status: JobStatus.COMPLETED })) === count,
      `${count} jobs to complete after the lost reply`,
      { timeoutMs: 10_000 },
    );
    await monque.stop();
    for (const job of jobs) {
      expect(runs.get(job._id.toHexString())).toBe(1);
      expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
        status: JobStatus.COMPLETED,
        failCount: 0,
        attempts: 1,
      });
    }
  });

  it('of a claim still in flight at stop(): its jobs are given back uncharged, never started after stop()', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const { monque, proxy } = await faultyMonque(db, collectionName, { shutdownTimeout: 2_000 });
    let stopped = false;
    let startedAfterStop = 0;
    monque.worker('late', () => {
      if (stopped) startedAfterStop += 1;
    });
    const job = await monque.enqueue('late', {});
    const slow = proxy.delayReplies(isClaim, 600);
    await monque.start();
    await slow.firstHit;
    await monque.stop();
    stopped = true;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(startedAfterStop).toBe(0);
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.PENDING,
      failCount: 0,
      attempts: 0,
    });
  });
});

describe('a lost outcome reply', () => {
  it('the retried write is recognised as applied: the job completes once, no job:error', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db));
    const errors: Error[] = [];
    monque.on('job:error', ({ error }) => errors.push(error));
    monque.worker('report', () => ({ rows: 2 }));
    const job = await monque.enqueue('report', {});
    proxy.loseReply(isOutcome);
    const done = nextEvent(monque, 'job:complete');
    await monque.start();
    const { result } = await done;
    await monque.stop();
    expect(result).toEqual({ rows: 2 });
    expect(errors.filter((error) => error.name === 'JobLockLostError')).toEqual([]);
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.COMPLETED,
      result: { rows: 2 },
    });
  });

  it('of a retry, with the job claimed again elsewhere before the write is retried: recognised as applied, no false JobLockLostError', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const { monque: owner, proxy } = await faultyMonque(db, collectionName, { instanceId: 'owner' });
    const other = createMonque(db, { collectionName, instanceId: 'other', pollInterval: 20 });
    const errors: Error[] = [];
    owner.on('job:error', ({ error }) => errors.push(error));
    const failures: boolean[] = [];
    owner.on('job:fail', ({ willRetry }) => failures.push(willRetry));
    owner.worker('flaky', () => {
      throw new Error('the first run fails');
    });
    other.worker('flaky', () => {});
    const job = await owner.enqueue('flaky', {}, { maxRetries: 3, backoff: { type: 'fixed', delay: 0 } });
    // The failure is written (due again at once) but its reply is lost; before the owner's writer
    // tries again, the other instance claims the job and runs it.
    const lost = proxy.loseReply(isOutcome);
    const started = nextEvent(owner, 'job:start');
    await owner.start();
    await started;
    await other.start();
    await waitForStatus(db, other, job._id, JobStatus.COMPLETED);
    await waitUntil(() => failures.length > 0 || errors.length > 1, 'the owner to learn what became of its write');
    await Promise.all([owner.stop(), other.stop()]);
    expect(lost.hits).toBe(1);
    expect(failures).toEqual([true]);
    expect(errors.filter((error) => error.name === 'JobLockLostError')).toEqual([]);
  });

  it('a dropped outcome write (connection reset, never applied) is retried: the success is stored, never turned into a failure', async () => {
    const db = await getDb();
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (message: string) => warnings.push(message) };
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { logger });
    monque.worker('export', () => ({ rows: 3 }), { concurrency: 5 });
    const jobs = await monque.enqueueMany(Array.from({ length: 5 }, (_, n) => ({ name: 'export', data: { n } })));
    proxy.dropRequest(isOutcome, { times: 3 });
    await monque.start();
    await waitUntil(
      async () => (await jobsOf(db, monque).countDocuments({ status: JobStatus.COMPLETED })) === 5,
      'the five jobs to complete',
    );
    await monque.stop();
    for (const job of jobs) {
      expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
        status: JobStatus.COMPLETED,
        failCount: 0,
        result: { rows: 3 },
      });
    }
    // One warning for the outage, not one per failed attempt.
    expect(warnings.filter((message) => message === 'could not write job outcomes; retrying')).toHaveLength(1);
  });
});

describe('a lost insert reply of enqueueMany', () => {
  const isInsert = { name: 'insert' };

  it('applied, reply lost: the jobs written are read back and returned, each stored exactly once', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db));
    await monque.countJobs();
    const lost = proxy.loseReply(isInsert, { times: 1 });
    const jobs = await monque.enqueueMany(Array.from({ length: 5 }, (_, n) => ({ name: 'export', data: { n } })));
    expect(lost.hits).toBe(1);
    expect(jobs.map((job) => job.data)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
    for (const job of jobs) expect(await jobsOf(db, monque).findOne({ _id: job._id })).toEqual(job);
    expect(await jobsOf(db, monque).countDocuments({})).toBe(5);
  });

  it('dropped, never applied: enqueueMany rejects, not saying it may have been applied, and nothing is stored', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db));
    await monque.countJobs();
    const dropped = proxy.dropRequest(isInsert, { times: 1 });
    const error = await monque
      .enqueueMany(Array.from({ length: 5 }, (_, n) => ({ name: 'export', data: { n } })))
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).mayHaveBeenApplied).toBe(false);
    expect(dropped.hits).toBe(1);
    expect(await jobsOf(db, monque).countDocuments({})).toBe(0);
  });

  it('applied, reply lost, and the read-back dropped too: enqueueMany rejects saying it may have been applied', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db));
    await monque.countJobs();
    proxy.loseReply(isInsert, { times: 1 });
    const readBack = proxy.dropRequest({ name: 'find' }, { times: 1 });
    const error = await monque
      .enqueueMany(Array.from({ length: 5 }, (_, n) => ({ name: 'export', data: { n } })))
      .catch((thrown: unknown) => thrown);
    expect(readBack.hits).toBe(1);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).mayHaveBeenApplied).toBe(true);
    expect((error as Error).message).toContain('it may have been applied');
    expect(await jobsOf(db, monque).countDocuments({})).toBe(5);
  });

  it('of keyed jobs (one batch of upserts), applied, reply lost: the jobs are read back by key and returned', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db));
    await monque.countJobs();
    const lost = proxy.loseReply({ name: 'update' }, { times: 1 });
    const jobs = await monque.enqueueMany(
      Array.from({ length: 3 }, (_, n) => ({ name: 'export', data: { n }, options: { uniqueKey: `k${n}` } })),
    );
    expect(lost.hits).toBe(1);
    expect(jobs.map((job) => job.uniqueKey)).toEqual(['k0', 'k1', 'k2']);
    for (const job of jobs) expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject(job);
    expect(await jobsOf(db, monque).countDocuments({})).toBe(3);
  });

  it('some jobs written, others refused: enqueueMany rejects saying it may have been applied', async () => {
    const db = await getDb();
    const { monque } = await faultyMonque(db, freshCollectionName(db));
    // A unique index of the user's own refuses the plain jobs (this server refuses their whole
    // insert); the keyed job is written by its own upsert.
    await jobsOf(db, monque).createIndex({ 'data.n': 1 }, { unique: true, name: 'test_unique_n' });
    await monque.enqueue('export', { n: 1 });
    const error = await monque
      .enqueueMany([
        { name: 'export', data: { n: 1 } },
        { name: 'export', data: { n: 2 } },
        { name: 'export', data: { n: 3 }, options: { uniqueKey: 'k' } },
      ])
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).mayHaveBeenApplied).toBe(true);
    expect(await jobsOf(db, monque).countDocuments({ 'data.n': 3 })).toBe(1);
  });
});
