import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { waitUntil } from '@monque/test-backend';
import { MongoClient, ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ConnectionError, type Job, JobStatus, Monque, MonqueErrorCode } from '../src/index.js';
import { createMonque, jobsOf, nextEvent, useTestDb, waitForStatus } from './helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** The public fields every new job has, checked against the contract. */
function expectNewJob(job: Job, name: string, data: unknown, nextRunAt: Date, before: number, after: number): void {
  expect(job._id).toBeInstanceOf(ObjectId);
  expect(job.name).toBe(name);
  expect(job.data).toEqual(data);
  expect(job.status).toBe(JobStatus.PENDING);
  expect(job.nextRunAt).toBeInstanceOf(Date);
  expect(job.nextRunAt.getTime()).toBe(nextRunAt.getTime());
  expect(job.lockedAt).toBeNull();
  expect(job.failCount).toBe(0);
  expect(job.createdAt).toBeInstanceOf(Date);
  expect(job.updatedAt).toBeInstanceOf(Date);
  expect(job.createdAt.getTime()).toBeGreaterThanOrEqual(before);
  expect(job.createdAt.getTime()).toBeLessThanOrEqual(after);
  expect(job.updatedAt.getTime()).toBe(job.createdAt.getTime());
  expect(job).not.toHaveProperty('failReason');
  expect(job).not.toHaveProperty('repeatInterval');
  expect(job).not.toHaveProperty('uniqueKey');
  // The engine's own fields stay inside the store.
  expect(job).not.toHaveProperty('activeKey');
  expect(job).not.toHaveProperty('claimToken');
}

describe('enqueue', () => {
  it('returns the stored job with every contract field', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const before = Date.now();
    const job = await monque.enqueue('report', { id: 7 });
    const after = Date.now();
    expectNewJob(job, 'report', { id: 7 }, job.createdAt, before, after);
    const stored = await jobsOf(db, monque).findOne({ _id: job._id });
    expect(stored).not.toBeNull();
    const {
      activeKey: _a,
      claimToken: _c,
      ...publicFields
    } = stored as Job & { activeKey?: string; claimToken?: unknown };
    expect(publicFields).toEqual(job);
  });

  it('now() enqueues a job due at once', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const before = Date.now();
    const job = await monque.now('ping', null);
    const after = Date.now();
    expectNewJob(job, 'ping', null, job.createdAt, before, after);
    expect(job.nextRunAt.getTime()).toBeLessThanOrEqual(after);
  });

  it('stores runAt as nextRunAt', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const runAt = new Date(Date.now() + 3_600_000);
    const before = Date.now();
    const job = await monque.enqueue('later', { n: 1 }, { runAt });
    expectNewJob(job, 'later', { n: 1 }, runAt, before, Date.now());
    expect((await jobsOf(db, monque).findOne({ _id: job._id }))?.nextRunAt).toEqual(runAt);
  });

  it('keeps data intact through the database and into the handler', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const data = {
      text: 'héllo ✓ 日本',
      empty: '',
      int: 42,
      negative: -3.25,
      big: Number.MAX_SAFE_INTEGER,
      yes: true,
      no: false,
      nothing: null,
      when: new Date('2024-02-29T12:34:56.789Z'),
      id: new ObjectId(),
      list: [1, 'two', { three: [3] }, [4, [5]], null],
      nested: { a: { b: { c: { d: 'deep' } } }, dates: [new Date(0)] },
      emptyObject: {},
      emptyList: [],
    };
    const received: unknown[] = [];
    monque.worker<typeof data>('carry', (job) => {
      received.push(job.data);
    });
    const job = await monque.enqueue('carry', data);
    expect(job.data).toEqual(data);
    const stored = await jobsOf(db, monque).findOne({ _id: job._id });
    expect(stored?.data).toEqual(data);
    const storedData = stored?.data as typeof data;
    expect(storedData.when).toBeInstanceOf(Date);
    expect(storedData.id).toBeInstanceOf(ObjectId);
    expect(storedData.id.equals(data.id)).toBe(true);

    await monque.start();
    await nextEvent(monque, 'job:complete', ({ job: done }) => done._id.equals(job._id));
    expect(received).toEqual([data]);
    const handed = received[0] as typeof data;
    expect(handed.nested.dates[0]).toBeInstanceOf(Date);
    expect(handed.id).toBeInstanceOf(ObjectId);
    await monque.stop();
  });

  it('accepts primitive and array payloads', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    for (const data of [
      'plain string',
      0,
      false,
      null,
      [1, 2, 3],
      { inf: Number.POSITIVE_INFINITY, nan: Number.NaN },
    ]) {
      const job = await monque.enqueue('primitive', data);
      expect((await jobsOf(db, monque).findOne({ _id: job._id }))?.data).toEqual(data);
    }
  });

  it('does not run a job before its runAt', async () => {
    const db = await getDb();
    const monque = createMonque(db, { pollInterval: 20 });
    let startedAt: number | undefined;
    monque.worker('delayed', () => {
      startedAt = Date.now();
    });
    await monque.start();
    const runAt = new Date(Date.now() + 600);
    const job = await monque.enqueue('delayed', {}, { runAt });
    const early = await jobsOf(db, monque).findOne({ _id: job._id });
    expect(early?.status).toBe(JobStatus.PENDING);
    await nextEvent(monque, 'job:complete', ({ job: done }) => done._id.equals(job._id));
    expect(startedAt).toBeDefined();
    expect(startedAt as number).toBeGreaterThanOrEqual(runAt.getTime());
    await monque.stop();
  });

  it('wakes the scheduler for a local enqueue instead of waiting for the next poll', async () => {
    const db = await getDb();
    const monque = createMonque(db, { pollInterval: 30_000 });
    monque.worker('prompt', () => {});
    await monque.start();
    const job = await monque.now('prompt', {});
    // With a 30 s poll interval only the wake-up can run it within the timeout.
    await nextEvent(monque, 'job:complete', ({ job: done }) => done._id.equals(job._id), 5_000);
    const soon = await monque.enqueue('prompt', {}, { runAt: new Date(Date.now() + 300) });
    await nextEvent(monque, 'job:complete', ({ job: done }) => done._id.equals(soon._id), 5_000);
    await monque.stop();
  });

  it('runs due jobs in nextRunAt order, one at a time', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const base = Date.now() - 60_000;
    const offsets = [5, 1, 4, 0, 3, 2];
    for (const offset of offsets) {
      await monque.enqueue('ordered', { offset }, { runAt: new Date(base + offset * 1000) });
    }
    const seen: number[] = [];
    monque.worker<{ offset: number }>(
      'ordered',
      (job) => {
        seen.push(job.data.offset);
      },
      { concurrency: 1 },
    );
    await monque.start();
    await waitUntil(() => seen.length === offsets.length, 'all ordered jobs to run');
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    await monque.stop();
  });

  it('starts a batch of due jobs in nextRunAt order', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const base = Date.now() - 60_000;
    const offsets = [3, 0, 4, 1, 2];
    for (const offset of offsets) {
      await monque.enqueue('batch-ordered', { offset }, { runAt: new Date(base + offset * 1000) });
    }
    const started: number[] = [];
    monque.on('job:start', (job) => started.push((job.data as { offset: number }).offset));
    monque.worker('batch-ordered', () => {}, { concurrency: 5 });
    await monque.start();
    await waitUntil(() => started.length === offsets.length, 'all jobs to start');
    expect(started).toEqual([0, 1, 2, 3, 4]);
    await monque.stop();
  });

  it('stores regular expressions and binary data', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const job = await monque.enqueue('binary', { pattern: /ab+c/i, bytes: new Uint8Array([1, 2, 255]) });
    const stored = (await jobsOf(db, monque).findOne({ _id: job._id }))?.data as { pattern: RegExp; bytes: unknown };
    expect(stored.pattern).toEqual(/ab+c/i);
    expect(Buffer.from((stored.bytes as { buffer: Uint8Array }).buffer)).toEqual(Buffer.from([1, 2, 255]));
  });

  it('getJob reads a job back, and null for an unknown id', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const job = await monque.enqueue('lookup', { k: 'v' }, { uniqueKey: 'lookup-1' });
    expect(await monque.getJob(job._id)).toEqual(job);
    expect(await monque.getJob(new ObjectId())).toBeNull();
  });

  it('wakes in time for jobs due before the next poll, whichever is enqueued first', async () => {
    const db = await getDb();
    const monque = createMonque(db, { pollInterval: 30_000 });
    const startedAt = new Map<string, number>();
    monque.worker('timed', (job) => {
      startedAt.set(job._id.toHexString(), Date.now());
    });
    await monque.start();
    const now = Date.now();
    const later = await monque.enqueue('timed', {}, { runAt: new Date(now + 600) });
    const sooner = await monque.enqueue('timed', {}, { runAt: new Date(now + 300) });
    const beyondPoll = await monque.enqueue('timed', {}, { runAt: new Date(now + 60_000) });
    await waitUntil(() => startedAt.size >= 2, 'the two near jobs to start', { timeoutMs: 5_000 });
    expect(startedAt.get(sooner._id.toHexString()) as number).toBeGreaterThanOrEqual(sooner.nextRunAt.getTime());
    expect(startedAt.get(later._id.toHexString()) as number).toBeGreaterThanOrEqual(later.nextRunAt.getTime());
    expect(startedAt.has(beyondPoll._id.toHexString())).toBe(false);
    await monque.stop();
  });

  it('rejects with ConnectionError when the database cannot be reached', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as AddressInfo;
        server.close(() => resolve(free));
      });
    });
    const client = new MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`, {
      serverSelectionTimeoutMS: 200,
    });
    try {
      const monque = new Monque(client.db('unreachable'), { collectionName: 'jobs' });
      for (let attempt = 0; attempt < 2; attempt += 1) {
        // The failed index creation is not cached: the second call tries again.
        const error = await monque.enqueue('job', {}).catch((thrown: unknown) => thrown);
        expect(error).toBeInstanceOf(ConnectionError);
        expect((error as ConnectionError).code).toBe(MonqueErrorCode.CONNECTION);
        expect((error as ConnectionError).message).toContain("could not create the indexes of 'jobs'");
        expect((error as ConnectionError).cause).toBeInstanceOf(Error);
      }
    } finally {
      await client.close();
    }
  });
});

describe('enqueueMany', () => {
  it('returns plain jobs in the order given and stores each once', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const runAt = new Date(Date.now() + 60_000);
    const jobs = await monque.enqueueMany([
      { name: 'a', data: { i: 0 } },
      { name: 'b', data: { i: 1 }, options: { runAt } },
      { name: 'a', data: { i: 2 } },
    ]);
    expect(jobs.map((job) => [job.name, job.data])).toEqual([
      ['a', { i: 0 }],
      ['b', { i: 1 }],
      ['a', { i: 2 }],
    ]);
    expect(jobs[1]?.nextRunAt).toEqual(runAt);
    for (const job of jobs) {
      expect(job.status).toBe(JobStatus.PENDING);
      expect(job.failCount).toBe(0);
      expect(job).not.toHaveProperty('activeKey');
    }
    expect(new Set(jobs.map((job) => job._id.toHexString())).size).toBe(3);
    expect(await jobsOf(db, monque).countDocuments()).toBe(3);
  });

  it('writes nothing for an empty list', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    expect(await monque.enqueueMany([])).toEqual([]);
    expect(await jobsOf(db, monque).countDocuments()).toBe(0);
  });

  it('runs jobs it enqueued', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    monque.worker('many', () => {});
    await monque.start();
    const jobs = await monque.enqueueMany([
      { name: 'many', data: 1 },
      { name: 'many', data: 2 },
    ]);
    for (const job of jobs) await waitForStatus(db, monque, job._id, JobStatus.COMPLETED);
    await monque.stop();
  });
});
