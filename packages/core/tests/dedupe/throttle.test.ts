/**
 * `throttle`: at most one job per name and key is created per `throttle` ms, counted from the
 * creation of the last one whatever its status now (finished, deleted); the calls in between
 * create nothing and return that job as it is now. Time comes from a `TestClock`.
 */
import { freshCollectionName } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/index.js';
import { THROTTLE_COLLECTION_SUFFIX, type ThrottleWindow } from '../../src/store/throttle-store.js';
import { openCommandLog } from '../helpers/command-log.js';
import { createMonque, jobsOf, useTestDb, waitForStatus } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';
import { deduplications, jobsOfKey, twoInstances } from './helpers.js';

const getDb = useTestDb(import.meta.url);

const T0 = new Date('2031-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const throttled = { uniqueKey: 'user-1', throttle: 1_000 };

describe('throttle', () => {
  it('creates one job per window: calls inside it return that job; the first call at createdAt + throttle creates the next', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const monque = createMonque(db, { clock });
    const events = deduplications(monque);
    const first = await monque.enqueue('digest', { n: 1 }, throttled);
    expect(first).toMatchObject({ data: { n: 1 }, uniqueKey: 'user-1', createdAt: T0, status: JobStatus.PENDING });
    clock.set(at(999));
    const inWindow = await monque.enqueue('digest', { n: 2 }, throttled);
    expect(inWindow).toEqual(first);
    expect(events).toEqual([{ outcome: 'throttled', job: first }]);
    clock.set(at(1_000));
    const next = await monque.enqueue('digest', { n: 3 }, throttled);
    expect(next._id.equals(first._id)).toBe(false);
    expect(next).toMatchObject({ data: { n: 3 }, createdAt: at(1_000) });
    // A throttle limits creations, not active jobs: the first one (still pending) holds no key.
    const stored = await jobsOfKey(db, monque, 'digest', 'user-1');
    expect(stored.map((job) => [job.status, job.data, job.activeKey])).toEqual([
      [JobStatus.PENDING, { n: 1 }, undefined],
      [JobStatus.PENDING, { n: 3 }, undefined],
    ]);
    expect(events).toHaveLength(1);
  });

  it('counts from the creation whatever the job became: a finished job is returned as it is now', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const monque = createMonque(db, { clock });
    monque.worker('digest', () => 'sent');
    await monque.start();
    const first = await monque.enqueue('digest', { n: 1 }, throttled);
    await waitForStatus(db, monque, first._id, JobStatus.COMPLETED);
    await monque.stop();
    clock.set(at(500));
    const again = await monque.enqueue('digest', { n: 2 }, throttled);
    expect(again).toMatchObject({ status: JobStatus.COMPLETED, result: 'sent', data: { n: 1 } });
    expect(await jobsOf(db, monque).countDocuments()).toBe(1);
  });

  it('a job deleted inside its window is not created again: the call returns it as it was created', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const monque = createMonque(db, { clock });
    const first = await monque.enqueue('digest', { n: 1 }, throttled);
    expect(await monque.deleteJob(first._id)).toBe(true);
    clock.set(at(999));
    const again = await monque.enqueue('digest', { n: 2 }, throttled);
    expect(again).toEqual(first);
    expect(await jobsOf(db, monque).countDocuments()).toBe(0);
  });

  it('a window whose creator died before inserting its job: the next call inserts that job, once', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const monque = createMonque(db, { clock });
    // What a creator leaves when it dies between opening the window and inserting the job.
    await monque.enqueue('other', {});
    const [template] = await jobsOf(db, monque).find({}).toArray();
    await jobsOf(db, monque).deleteMany({});
    const orphan = { ...template, name: 'digest', data: { n: 1 }, uniqueKey: 'user-1' };
    const windows = db.collection<ThrottleWindow>(`${monque.options.collectionName}${THROTTLE_COLLECTION_SUFFIX}`);
    await windows.insertOne({
      _id: JSON.stringify(['digest', 'user-1']),
      name: 'digest',
      uniqueKey: 'user-1',
      at: T0,
      expireAt: at(1_000),
      job: orphan as never,
      inserted: false,
    });
    clock.set(at(10));
    const job = await monque.enqueue('digest', { n: 2 }, throttled);
    expect(job._id.equals(orphan._id as never)).toBe(true);
    expect(job.data).toEqual({ n: 1 });
    expect(await jobsOf(db, monque).countDocuments()).toBe(1);
    expect(await windows.findOne({})).toMatchObject({ inserted: true });
    // Marked inserted: deleting it now does not bring it back.
    await jobsOf(db, monque).deleteMany({});
    await monque.enqueue('digest', { n: 3 }, throttled);
    expect(await jobsOf(db, monque).countDocuments()).toBe(0);
  });

  // A held job becomes due when its window closes, or at its own time if later: a job due after
  // its window closes has nothing to be let go from.
  it('a job due after its window closes is inserted due at its own time, and the calls in the window cost 2 commands', async () => {
    const db = await getDb();
    const log = await openCommandLog(db.databaseName);
    try {
      const clock = new TestClock(T0);
      const monque = createMonque(log.db, { clock, collectionName: freshCollectionName(db) });
      const first = await monque.enqueue('digest', { n: 1 }, { ...throttled, runAt: at(60_000) });
      expect(await jobsOf(db, monque).findOne({})).toMatchObject({ _id: first._id, nextRunAt: at(60_000) });
      clock.set(at(500));
      log.clear();
      const again = await monque.enqueue('digest', { n: 2 }, throttled);
      expect(again).toEqual(first);
      expect(log.commandNames()).toEqual(['find', 'find']);
    } finally {
      await log.close();
    }
  });

  it('windows are per name and key', async () => {
    const db = await getDb();
    const monque = createMonque(db, { clock: new TestClock(T0) });
    await monque.enqueue('digest', {}, { uniqueKey: 'a', throttle: 1_000 });
    await monque.enqueue('digest', {}, { uniqueKey: 'b', throttle: 1_000 });
    await monque.enqueue('report', {}, { uniqueKey: 'a', throttle: 1_000 });
    expect(await jobsOf(db, monque).countDocuments()).toBe(3);
  });

  it('two instances racing: one job created, every call returned it, the others report throttled', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const [a, b] = await twoInstances(db, { clock });
    const events = [a, b].map(deduplications);
    const returned = await Promise.all(
      Array.from({ length: 24 }, (_, n) => (n % 2 === 0 ? a : b).enqueue('digest', { n }, throttled)),
    );
    const stored = await jobsOfKey(db, a, 'digest', 'user-1');
    expect(stored).toHaveLength(1);
    for (const job of returned) expect(job._id.equals(stored[0]?._id as never)).toBe(true);
    expect(events.flat().map((event) => event.outcome)).toEqual(Array(23).fill('throttled'));
  });

  it('two instances racing as a window closes: exactly one new job', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const [a, b] = await twoInstances(db, { clock });
    const first = await a.enqueue('digest', { n: -1 }, throttled);
    clock.set(at(1_000));
    const returned = await Promise.all(
      Array.from({ length: 16 }, (_, n) => (n % 2 === 0 ? a : b).enqueue('digest', { n }, throttled)),
    );
    const stored = await jobsOfKey(db, a, 'digest', 'user-1');
    expect(stored).toHaveLength(2);
    const second = stored.find((job) => !job._id.equals(first._id));
    for (const job of returned) expect(job._id.equals(second?._id as never)).toBe(true);
  });
});
