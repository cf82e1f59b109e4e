/**
 * `onDuplicate: 'replace'` (and `'keep'`): a pending job of the key gets the call's data, due
 * time, priority, group and run options, keeping its `_id` and `createdAt`; a processing one keeps
 * running and one job is queued behind it (later calls replace the queued one); concurrent calls
 * from two instances end as some serial order of them; `job:deduplicated` says what happened.
 */
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/index.js';
import { createMonque, deferred, jobsOf, useTestDb, waitForStatus } from '../helpers/monque.js';
import { deduplications, jobsOfKey, twoInstances } from './helpers.js';

const getDb = useTestDb(import.meta.url);

const later = (ms: number) => new Date(Date.now() + ms);

describe("onDuplicate: 'replace'", () => {
  it('creates the job when none holds the key, and emits nothing', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const events = deduplications(monque);
    const job = await monque.enqueue('sync', { v: 1 }, { uniqueKey: 'user-1', onDuplicate: 'replace' });
    expect(job).toMatchObject({ status: JobStatus.PENDING, data: { v: 1 }, uniqueKey: 'user-1' });
    expect(await jobsOfKey(db, monque, 'sync', 'user-1')).toHaveLength(1);
    expect(events).toEqual([]);
  });

  it('gives a pending job the new data, runAt, priority, group and run options; keeps its _id and createdAt', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const events = deduplications(monque);
    const first = await monque.enqueue(
      'sync',
      { v: 1 },
      { uniqueKey: 'user-1', runAt: later(60_000), priority: 5, maxRetries: 3, group: 'g1', timeout: 1_000 },
    );
    const runAt = later(120_000);
    const second = await monque.enqueue(
      'sync',
      { v: 2 },
      { uniqueKey: 'user-1', onDuplicate: 'replace', runAt, backoff: { type: 'fixed', delay: 5 } },
    );
    expect(second._id.equals(first._id)).toBe(true);
    expect(second).toMatchObject({ data: { v: 2 }, nextRunAt: runAt, priority: 0, createdAt: first.createdAt });
    expect(second.backoff).toEqual({ type: 'fixed', delay: 5 });
    for (const gone of ['maxRetries', 'group', 'timeout']) expect(gone in second).toBe(false);
    const [stored] = await jobsOfKey(db, monque, 'sync', 'user-1');
    const { enqueueToken: _token, activeKey, ...publicFields } = stored as NonNullable<typeof stored>;
    expect(activeKey).toBe('u:user-1');
    expect(publicFields).toEqual(second);
    expect(events).toEqual([{ outcome: 'replaced', job: second }]);
  });

  it('a processing job keeps running; one job is queued behind it, later calls replace the queued one, and it runs after', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const events = deduplications(monque);
    const entered = deferred();
    const release = deferred();
    const ran: unknown[] = [];
    // One at a time: the queued job cannot start while the first one runs (it would race the reads below).
    monque.worker(
      'sync',
      async (job) => {
        ran.push(job.data);
        if (ran.length === 1) {
          entered.resolve();
          await release.promise;
        }
      },
      { concurrency: 1 },
    );
    await monque.start();
    const running = await monque.enqueue('sync', { v: 1 }, { uniqueKey: 'k' });
    await entered.promise;
    const queued = await monque.enqueue('sync', { v: 2 }, { uniqueKey: 'k', onDuplicate: 'replace' });
    expect(queued._id.equals(running._id)).toBe(false);
    expect(queued).toMatchObject({ status: JobStatus.PENDING, data: { v: 2 } });
    const replaced = await monque.enqueue('sync', { v: 3 }, { uniqueKey: 'k', onDuplicate: 'replace' });
    expect(replaced._id.equals(queued._id)).toBe(true);
    // A plain enqueue sees the queued job: it holds the key now.
    const plain = await monque.enqueue('sync', { v: 4 }, { uniqueKey: 'k' });
    expect(plain._id.equals(queued._id)).toBe(true);
    const stored = await jobsOfKey(db, monque, 'sync', 'k');
    expect(stored.map((job) => [job.status, job.data, job.activeKey])).toEqual([
      [JobStatus.PROCESSING, { v: 1 }, undefined],
      [JobStatus.PENDING, { v: 3 }, 'u:k'],
    ]);
    expect(events.map((event) => event.outcome)).toEqual(['replaced']);
    release.resolve();
    await waitForStatus(db, monque, running._id, JobStatus.COMPLETED);
    await waitForStatus(db, monque, queued._id, JobStatus.COMPLETED);
    await monque.stop();
    expect(ran).toEqual([{ v: 1 }, { v: 3 }]);
  });

  it('two instances racing: one pending job, with the data of one call, and every call returned it', async () => {
    const db = await getDb();
    const [a, b] = await twoInstances(db);
    const events = [...[a, b].map(deduplications)];
    const calls = Array.from({ length: 24 }, (_, n) => ({ by: n % 2 === 0 ? a : b, data: { n } }));
    const returned = await Promise.all(
      calls.map(({ by, data }) => by.enqueue('sync', data, { uniqueKey: 'race', onDuplicate: 'replace' })),
    );
    const stored = await jobsOfKey(db, a, 'sync', 'race');
    expect(stored).toHaveLength(1);
    const [only] = stored;
    // Serial: one call created the job, each other replaced it in turn; each returned its own write.
    returned.forEach((job, n) => {
      expect(job._id.equals(only?._id as never)).toBe(true);
      expect(job.data).toEqual({ n });
    });
    expect(calls.map((call) => call.data)).toContainEqual(only?.data);
    const outcomes = events.flat().map((event) => event.outcome);
    expect(outcomes).toEqual(Array(calls.length - 1).fill('replaced'));
  });

  it('two instances racing while the job runs: exactly one job queued behind it, holding the key', async () => {
    const db = await getDb();
    const [a, b] = await twoInstances(db);
    const entered = deferred();
    const release = deferred();
    // Concurrency 1: the queued job waits for the running one (it is not claimed meanwhile).
    a.worker(
      'sync',
      async () => {
        entered.resolve();
        await release.promise;
      },
      { concurrency: 1 },
    );
    await a.start();
    const running = await a.enqueue('sync', { v: 0 }, { uniqueKey: 'race' });
    await entered.promise;
    const returned = await Promise.all(
      Array.from({ length: 16 }, (_, n) =>
        (n % 2 === 0 ? a : b).enqueue('sync', { n }, { uniqueKey: 'race', onDuplicate: 'replace' }),
      ),
    );
    const stored = await jobsOfKey(db, a, 'sync', 'race');
    expect(stored.map((job) => [job.status, job.activeKey])).toEqual([
      [JobStatus.PROCESSING, undefined],
      [JobStatus.PENDING, 'u:race'],
    ]);
    const queued = stored[1];
    for (const job of returned) expect(job._id.equals(queued?._id as never)).toBe(true);
    expect(stored[0]?._id.equals(running._id)).toBe(true);
    release.resolve();
    await a.stop();
  });
});

describe("onDuplicate: 'keep'", () => {
  it("returns the holder unchanged and reports 'kept'; creating reports nothing", async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const events = deduplications(monque);
    const first = await monque.enqueue('sync', { v: 1 }, { uniqueKey: 'k', onDuplicate: 'keep' });
    const second = await monque.enqueue('sync', { v: 2 }, { uniqueKey: 'k', onDuplicate: 'keep', priority: 9 });
    expect(second).toEqual(first);
    expect(await jobsOf(db, monque).countDocuments()).toBe(1);
    expect(events).toEqual([{ outcome: 'kept', job: first }]);
  });
});
