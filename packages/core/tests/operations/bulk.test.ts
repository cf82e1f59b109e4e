import { freshCollectionName } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, JobStatus, type Monque, type MonqueEventMap } from '../../src/index.js';
import { ControlStore } from '../../src/store/control-store.js';
import { checkJobQuery } from '../../src/store/job-query.js';
import { type CommandLog, openCommandLog } from '../helpers/command-log.js';
import { createOpsMonque, insertJobs, type JobSpec, rawJobs, snapshot, useOperationsDb } from './helpers.js';

const getDb = useOperationsDb(import.meta.url);

/** The most commands a bulk operation may take, whatever the number of jobs. */
const MAX_COMMANDS = 6;

/** A scheduler on a client that records commands, its indexes already created. */
async function monitored(db: Db): Promise<{ log: CommandLog; monque: Monque }> {
  const log = await openCommandLog(db.databaseName);
  const monque = createOpsMonque(log.db, { collectionName: freshCollectionName(db) });
  await monque.countJobs();
  return { log, monque };
}

/** Runs `work` and returns the names of the commands it sent. */
async function commandsOf(log: CommandLog, work: () => Promise<unknown>): Promise<string[]> {
  log.clear();
  await work();
  return log.commandNames();
}

function repeat(count: number, spec: (i: number) => JobSpec): JobSpec[] {
  return Array.from({ length: count }, (_, i) => spec(i));
}

function lastEvent<K extends keyof MonqueEventMap>(monque: Monque, event: K): () => MonqueEventMap[K] | undefined {
  let last: MonqueEventMap[K] | undefined;
  monque.on(event, (payload) => {
    last = payload;
  });
  return () => last;
}

describe('cancelJobs', () => {
  it('cancels 150 pending jobs and asks 50 running ones to stop, in at most 6 commands', async () => {
    const db = await getDb();
    const { log, monque } = await monitored(db);
    try {
      const event = lastEvent(monque, 'jobs:cancelled');
      await insertJobs(log.db, monque, [
        ...repeat(150, (i) => ({ name: 'mail', status: JobStatus.PENDING, uniqueKey: `m${i}` })),
        ...repeat(50, () => ({ name: 'mail', status: JobStatus.PROCESSING })),
        ...repeat(10, () => ({ name: 'other', status: JobStatus.PENDING })),
      ]);
      let count = 0;
      const commands = await commandsOf(log, async () => {
        ({ count } = await monque.cancelJobs({ name: 'mail' }, { reason: 'campaign stopped' }));
      });
      console.log(`cancelJobs of 200 jobs: ${commands.length} commands (${commands.join(', ')})`);
      expect(commands.length).toBeLessThanOrEqual(MAX_COMMANDS);
      expect(count).toBe(200);
      expect(event()).toEqual({ query: { name: 'mail' }, count: 200 });
      const jobs = rawJobs(db, monque);
      expect(await jobs.countDocuments({ status: 'cancelled', cancelReason: 'campaign stopped' })).toBe(150);
      expect(await jobs.countDocuments({ status: 'cancelled', activeKey: { $exists: true } })).toBe(0);
      expect(await jobs.countDocuments({ status: 'cancelled', expireAt: { $exists: true } })).toBe(150);
      expect(
        await jobs.countDocuments({
          status: 'processing',
          cancelRequestedAt: { $exists: true },
          cancelReason: 'campaign stopped',
        }),
      ).toBe(50);
      expect(await jobs.countDocuments({ name: 'other', status: 'pending' })).toBe(10);
    } finally {
      await log.close();
    }
  });

  it('keeps an earlier cancellation request, updates its reason, and leaves finished jobs alone', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const earlier = new Date('2030-01-01T00:00:00Z');
    await insertJobs(db, monque, [
      { status: JobStatus.PROCESSING, cancelRequestedAt: earlier },
      { status: JobStatus.COMPLETED },
      { status: JobStatus.FAILED },
      { status: JobStatus.CANCELLED, cancelReason: 'first' },
    ]);
    const before = await snapshot(db, monque);
    expect(await monque.cancelJobs({}, { reason: 'again' })).toEqual({ count: 0 });
    const after = await snapshot(db, monque);
    expect(after[0]?.cancelRequestedAt).toEqual(earlier);
    expect(after[0]?.cancelReason).toBe('again');
    expect(after.slice(1)).toEqual(before.slice(1));
  });
});

describe('deleteJobs', () => {
  it('deletes 180 jobs of every status but processing in at most 6 commands', async () => {
    const db = await getDb();
    const { log, monque } = await monitored(db);
    try {
      const event = lastEvent(monque, 'jobs:deleted');
      const statuses = [JobStatus.PENDING, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED];
      await insertJobs(log.db, monque, [
        ...repeat(180, (i) => ({ status: statuses[i % 4] as JobSpec['status'] })),
        ...repeat(20, () => ({ status: JobStatus.PROCESSING })),
      ]);
      let count = 0;
      const commands = await commandsOf(log, async () => {
        ({ count } = await monque.deleteJobs({}));
      });
      console.log(`deleteJobs of 200 jobs: ${commands.length} commands (${commands.join(', ')})`);
      expect(commands.length).toBeLessThanOrEqual(MAX_COMMANDS);
      expect(count).toBe(180);
      expect(event()).toEqual({ query: {}, count: 180 });
      expect(await rawJobs(db, monque).countDocuments({})).toBe(20);
      expect(await rawJobs(db, monque).countDocuments({ status: 'processing' })).toBe(20);
      // A query that selects only running jobs deletes nothing, without asking the server.
      expect(await commandsOf(log, () => monque.deleteJobs({ status: 'processing' }))).toEqual([]);
    } finally {
      await log.close();
    }
  });

  it('deletes only what the query selects', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    await insertJobs(db, monque, [
      { name: 'a', status: JobStatus.COMPLETED, finishedAt: new Date('2030-01-01') },
      { name: 'a', status: JobStatus.COMPLETED, finishedAt: new Date('2030-02-01') },
      { name: 'a', status: JobStatus.FAILED, finishedAt: new Date('2030-01-01') },
      { name: 'b', status: JobStatus.COMPLETED, finishedAt: new Date('2030-01-01') },
    ]);
    const { count } = await monque.deleteJobs({
      name: 'a',
      status: 'completed',
      finishedBefore: new Date('2030-01-15'),
    });
    expect(count).toBe(1);
    expect(await monque.countJobs()).toBe(3);
  });
});

describe('retryJobs', () => {
  it('retries 200 jobs with and without keys in at most 6 commands: one job per free key', async () => {
    const db = await getDb();
    const { log, monque } = await monitored(db);
    try {
      const event = lastEvent(monque, 'jobs:retried');
      const docs = await insertJobs(log.db, monque, [
        ...repeat(100, (i) => ({ status: i % 2 ? JobStatus.FAILED : JobStatus.CANCELLED })),
        // Keys k0..k39, each on an older failed job and a newer cancelled one.
        ...repeat(40, (i) => ({ status: JobStatus.FAILED, uniqueKey: `k${i}` })),
        ...repeat(40, (i) => ({ status: JobStatus.CANCELLED, uniqueKey: `k${i}` })),
        // Active jobs: pending ones hold k0..k9, running ones hold no key.
        ...repeat(10, (i) => ({ status: JobStatus.PENDING, uniqueKey: `k${i}` })),
        ...repeat(10, () => ({ status: JobStatus.PROCESSING })),
      ]);
      let count = 0;
      const commands = await commandsOf(log, async () => {
        ({ count } = await monque.retryJobs({}));
      });
      console.log(`retryJobs of 200 jobs: ${commands.length} commands (${commands.join(', ')})`);
      expect(commands.length).toBeLessThanOrEqual(MAX_COMMANDS);
      expect(count).toBe(100 + 30);
      expect(event()).toEqual({ query: {}, count: 130 });
      const after = new Map((await snapshot(db, monque)).map((job) => [job._id.toHexString(), job]));
      const statusOf = (index: number) => after.get(docs[index]?._id.toHexString() as string)?.status;
      for (let i = 0; i < 100; i += 1) expect(statusOf(i)).toBe(JobStatus.PENDING);
      for (let key = 0; key < 40; key += 1) {
        expect(statusOf(100 + key), `older k${key}`).toBe(JobStatus.FAILED);
        expect(statusOf(140 + key), `newer k${key}`).toBe(key < 10 ? JobStatus.CANCELLED : JobStatus.PENDING);
      }
      const jobs = rawJobs(db, monque);
      expect(await jobs.countDocuments({ status: 'pending', activeKey: { $exists: true } })).toBe(10 + 30);
      expect(await jobs.countDocuments({ status: 'pending', failCount: 0, finishedAt: { $exists: false } })).toBe(140);
    } finally {
      await log.close();
    }
  });

  it('a second run finds the keys held and changes nothing', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    await insertJobs(db, monque, [
      { status: JobStatus.FAILED, uniqueKey: 'a' },
      { status: JobStatus.CANCELLED, uniqueKey: 'a' },
      { status: JobStatus.FAILED, uniqueKey: 'b', name: 'other' },
    ]);
    expect(await monque.retryJobs({ status: ['failed', 'cancelled'] })).toEqual({ count: 2 });
    const before = await snapshot(db, monque);
    expect(await monque.retryJobs({})).toEqual({ count: 0 });
    expect(await snapshot(db, monque)).toEqual(before);
  });
});

describe('bulk queries', () => {
  it('are required ({} selects every job) and checked before anything is written', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    await insertJobs(db, monque, [{ status: JobStatus.FAILED }, { status: JobStatus.PENDING }]);
    const before = await snapshot(db, monque);
    const calls = [
      () => monque.cancelJobs(undefined as never),
      () => monque.retryJobs(undefined as never),
      () => monque.deleteJobs(undefined as never),
      () => monque.deleteJobs({ status: { $ne: 'processing' } as never }),
      () => monque.cancelJobs({ nam: 'x' } as never),
      () => monque.cancelJobs({}, { reason: 42 } as never),
    ];
    const argumentsNamed = [];
    for (const call of calls) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      argumentsNamed.push((error as InvalidArgumentError).argument);
    }
    expect(argumentsNamed).toEqual(['query', 'query', 'query', 'query.status', 'query.nam', 'options.reason']);
    expect(await snapshot(db, monque)).toEqual(before);
  });
});

describe('retryJobs losing a key race', () => {
  it('when another job takes a key between the check and the write, the rest are still retried', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    await monque.countJobs();
    const jobs = rawJobs(db, monque);
    await insertJobs(db, monque, [
      ...repeat(5, (i) => ({ status: JobStatus.FAILED, uniqueKey: `r${i}` })),
      ...repeat(3, () => ({ status: JobStatus.FAILED })),
    ]);
    let raced = false;
    // The jobs collection as the store sees it, except that the first bulk write is preceded by an
    // enqueue that takes key r2: the race a concurrent enqueue would win.
    const racing = new Proxy(jobs, {
      get(target, property, receiver) {
        if (property !== 'bulkWrite') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<typeof target.bulkWrite>) => {
          if (!raced) {
            raced = true;
            await monque.enqueue('job', { winner: true }, { uniqueKey: 'r2' });
          }
          return target.bulkWrite(...args);
        };
      },
    });
    const store = new ControlStore(racing, false);
    const count = await store.retryMany(checkJobQuery({}), new Date());
    expect(raced).toBe(true);
    expect(count).toBe(3 + 4);
    expect(await jobs.countDocuments({ status: 'failed' })).toBe(1);
    expect(await jobs.countDocuments({ status: 'pending', activeKey: 'u:r2' })).toBe(1);
    expect(await jobs.findOne({ activeKey: 'u:r2' })).toMatchObject({ data: { winner: true } });
  });
});
