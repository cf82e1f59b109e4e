/**
 * Deduplicating enqueues when a reply is lost (the server applied the write) or a request is
 * dropped (it did not), through the wire-level fault proxy: the call reads the key (or the throttle
 * window) back, recognises its own write, and resolves with the job that stands for it, written
 * once, reporting what it really did. When the database stays unreachable the call rejects.
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ConnectionError, type MonqueOptions } from '../../src/index.js';
import { THROTTLE_COLLECTION_SUFFIX } from '../../src/store/throttle-store.js';
import { deduplications } from '../dedupe/helpers.js';
import { faultyMonque } from '../helpers/faulty.js';
import { deferred, jobsOf, useTestDb, waitForStatus } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';

const getDb = useTestDb(import.meta.url);

const T0 = new Date('2031-03-01T10:00:00.000Z');

async function setup(db: Db, options: MonqueOptions = {}) {
  const collectionName = freshCollectionName(db);
  const { monque, proxy } = await faultyMonque(db, collectionName, { clock: new TestClock(T0), ...options });
  await monque.countJobs(); // indexes created, connection open
  const events = deduplications(monque);
  const jobs = { collection: collectionName };
  const windows = { collection: `${collectionName}${THROTTLE_COLLECTION_SUFFIX}` };
  return { monque, proxy, events, jobs, windows };
}

describe('a lost reply of a deduplicating enqueue', () => {
  it.each([
    ['keep', { onDuplicate: 'keep' as const }],
    ['replace', { onDuplicate: 'replace' as const }],
    ['debounce', { debounce: 500 }],
  ])('%s creating the job: resolves with it, written once, reporting no deduplication', async (_, mode) => {
    const db = await getDb();
    const { monque, proxy, events, jobs } = await setup(db);
    const lost = proxy.loseReply({ ...jobs, name: 'findAndModify' });
    const job = await monque.enqueue('sync', { v: 1 }, { uniqueKey: 'k', ...mode });
    expect(lost.hits).toBe(1);
    expect(await jobsOf(db, monque).find({}).toArray()).toMatchObject([{ _id: job._id, data: { v: 1 } }]);
    expect(events).toEqual([]);
  });

  it.each([
    ['replace', { onDuplicate: 'replace' as const }, 'replaced', T0],
    ['debounce', { debounce: 500 }, 'debounced', new Date(T0.getTime() + 500)],
  ])('%s of a pending job: resolves with it, changed once, reported once', async (_, mode, outcome, due) => {
    const db = await getDb();
    const { monque, proxy, events, jobs } = await setup(db);
    const first = await monque.enqueue('sync', { v: 1 }, { uniqueKey: 'k', runAt: new Date(T0.getTime() + 60_000) });
    const lost = proxy.loseReply({ ...jobs, name: 'findAndModify' });
    const job = await monque.enqueue('sync', { v: 2 }, { uniqueKey: 'k', ...mode });
    expect(lost.hits).toBe(1);
    expect(job._id.equals(first._id)).toBe(true);
    expect(await jobsOf(db, monque).find({}).toArray()).toMatchObject([{ data: { v: 2 }, nextRunAt: due }]);
    expect(events.map((event) => event.outcome)).toEqual([outcome]);
  });

  it('replace queued behind a running job, giving-up reply lost: one job queued, the running one keyless', async () => {
    const db = await getDb();
    const { monque, proxy, jobs } = await setup(db);
    const running = await monque.enqueue('sync', { v: 1 }, { uniqueKey: 'k' });
    await jobsOf(db, monque).updateOne({ _id: running._id }, { $set: { status: 'processing' } });
    const lost = proxy.loseReply({ ...jobs, name: 'update' });
    const queued = await monque.enqueue('sync', { v: 2 }, { uniqueKey: 'k', onDuplicate: 'replace' });
    expect(lost.hits).toBe(1);
    const stored = await jobsOf(db, monque).find({}).sort({ createdAt: 1 }).toArray();
    expect(stored.map((job) => [job._id.toHexString(), job.status, (job as { activeKey?: string }).activeKey])).toEqual(
      [
        [running._id.toHexString(), 'processing', undefined],
        [queued._id.toHexString(), 'pending', 'u:k'],
      ],
    );
  });

  it('replace, request dropped (never applied): sent again, the job written once', async () => {
    const db = await getDb();
    const { monque, proxy, jobs } = await setup(db);
    const dropped = proxy.dropRequest({ ...jobs, name: 'findAndModify' });
    const job = await monque.enqueue('sync', { v: 1 }, { uniqueKey: 'k', onDuplicate: 'replace' });
    expect(dropped.hits).toBe(1);
    expect(await jobsOf(db, monque).find({}).toArray()).toMatchObject([{ _id: job._id, data: { v: 1 } }]);
  });

  it.each([
    ['the window insert', 'windows', 'insert'],
    ['the job insert', 'jobs', 'insert'],
    ['marking the window inserted', 'windows', 'update'],
  ] as const)('throttle, reply of %s lost: the job created once, reported as created', async (_, where, name) => {
    const db = await getDb();
    const setupResult = await setup(db);
    const { monque, proxy, events } = setupResult;
    const lost = proxy.loseReply({ ...setupResult[where], name });
    const job = await monque.enqueue('digest', { n: 1 }, { uniqueKey: 'k', throttle: 1_000 });
    expect(lost.hits).toBe(1);
    expect(await jobsOf(db, monque).find({}).toArray()).toMatchObject([{ _id: job._id, data: { n: 1 } }]);
    expect(events).toEqual([]);
    const again = await monque.enqueue('digest', { n: 2 }, { uniqueKey: 'k', throttle: 1_000 });
    expect(again._id.equals(job._id)).toBe(true);
  });

  // The window cannot tell a job never inserted (its creator died) from one inserted and deleted
  // since; so a job whose window is not marked inserted must not run (and be deleted) meanwhile.
  it('throttle, marking the window inserted dropped until the call gives up: the job runs only once a call marks it, and once it ran and was deleted no call creates it again', async () => {
    const db = await getDb();
    const { monque, proxy, windows } = await setup(db);
    const throttled = { uniqueKey: 'k', throttle: 60_000 };
    const dropped = proxy.dropRequest({ ...windows, name: 'update' }, { times: Number.POSITIVE_INFINITY });
    const error = await monque
      .enqueue('digest', { n: 1 }, { ...throttled, runAt: new Date(T0.getTime() - 10_000) })
      .catch((thrown: unknown) => thrown);
    dropped.cancel();
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).mayHaveBeenApplied).toBe(true);
    const runs: unknown[] = [];
    const sentinelRan = deferred();
    const throttledRan = deferred();
    monque.worker(
      'digest',
      (job) => {
        runs.push(job.data);
        if ((job.data as { sentinel?: boolean }).sentinel) sentinelRan.resolve();
        else throttledRan.resolve();
      },
      { concurrency: 1 },
    );
    // Due after the throttled job: with one slot, claims in due order, it runs first only if the
    // throttled job cannot run.
    await monque.enqueue('digest', { sentinel: true }, { runAt: new Date(T0.getTime() - 5_000) });
    await monque.start();
    await sentinelRan.promise;
    expect(runs).toEqual([{ sentinel: true }]);
    // The next call in the window finds the job, marks the window and lets it run.
    const second = await monque.enqueue('digest', { n: 2 }, throttled);
    expect(second).toMatchObject({ data: { n: 1 }, nextRunAt: new Date(T0.getTime() - 10_000) });
    await throttledRan.promise;
    expect(await monque.deleteJob(second._id)).toBe(true);
    const third = await monque.enqueue('digest', { n: 3 }, throttled);
    expect(third._id.equals(second._id)).toBe(true);
    expect(await jobsOf(db, monque).countDocuments({ uniqueKey: 'k' })).toBe(0);
    await monque.stop();
    expect(runs).toEqual([{ sentinel: true }, { n: 1 }]);
  });

  it('throttle, marking the window inserted dropped and no call in the window: the call that opens the next window lets that job go too', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const { monque, proxy, windows } = await setup(db, { clock });
    const throttled = { uniqueKey: 'k', throttle: 1_000 };
    const dropped = proxy.dropRequest({ ...windows, name: 'update' }, { times: Number.POSITIVE_INFINITY });
    await monque.enqueue('digest', { n: 1 }, throttled).catch(() => undefined);
    dropped.cancel();
    clock.set(new Date(T0.getTime() + 1_000));
    const next = await monque.enqueue('digest', { n: 2 }, throttled);
    expect(next.data).toEqual({ n: 2 });
    const due = await jobsOf(db, monque)
      .find({ nextRunAt: { $lte: clock.now() } }, { sort: { nextRunAt: 1 } })
      .toArray();
    expect(due.map((job) => job.data)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  // A creator that dies between the insert and the mark leaves the same: nobody may come to mark
  // the window, and the TTL index or the retention sweep deletes it once closed.
  it('throttle, marking the window inserted dropped, no call in the window, the window then deleted by the retention sweep: the job becomes due by itself when its window closes, and runs', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const { monque, proxy, windows } = await setup(db, { clock, retention: { sweepInterval: 50 } });
    const throttled = { uniqueKey: 'k', throttle: 1_000 };
    const dropped = proxy.dropRequest({ ...windows, name: 'update' }, { times: Number.POSITIVE_INFINITY });
    const error = await monque.enqueue('digest', { n: 1 }, throttled).catch((thrown: unknown) => thrown);
    dropped.cancel();
    expect((error as ConnectionError).mayHaveBeenApplied).toBe(true);
    const held = await jobsOf(db, monque).findOne({});
    if (!held) throw new Error('the held job was not inserted');
    expect(held).toMatchObject({ data: { n: 1 }, status: 'pending', nextRunAt: new Date(T0.getTime() + 1_000) });
    clock.set(new Date(T0.getTime() + 1_000));
    const runs: unknown[] = [];
    monque.worker('digest', (job) => {
      runs.push(job.data);
    });
    await monque.start();
    await waitUntil(
      async () => (await db.collection(windows.collection).countDocuments()) === 0,
      'the closed window to be swept',
    );
    await waitForStatus(db, monque, held._id, 'completed');
    await monque.stop();
    expect(runs).toEqual([{ n: 1 }]);
  });

  it('throttle, marking the window inserted dropped, the job due after its window closes: it is held until its own time, never run earlier', async () => {
    const db = await getDb();
    const { monque, proxy, windows } = await setup(db);
    const dropped = proxy.dropRequest({ ...windows, name: 'update' }, { times: Number.POSITIVE_INFINITY });
    const runAt = new Date(T0.getTime() + 60_000);
    await monque.enqueue('digest', { n: 1 }, { uniqueKey: 'k', throttle: 1_000, runAt }).catch(() => undefined);
    dropped.cancel();
    expect(await jobsOf(db, monque).find({}).toArray()).toMatchObject([{ data: { n: 1 }, nextRunAt: runAt }]);
  });

  // Once marked, the window cannot tell a held job deleted from one that ran and was deleted: both
  // are its job deleted within its window (the guide says so).
  it('throttle, the window marked but letting the job go dropped, the held job then deleted: the next call in the window creates nothing and returns it as it was created', async () => {
    const db = await getDb();
    const { monque, proxy, jobs, windows, events } = await setup(db);
    const throttled = { uniqueKey: 'k', throttle: 60_000 };
    const dropped = proxy.dropRequest({ ...jobs, name: 'update' }, { times: Number.POSITIVE_INFINITY });
    const error = await monque.enqueue('digest', { n: 1 }, throttled).catch((thrown: unknown) => thrown);
    dropped.cancel();
    expect((error as ConnectionError).mayHaveBeenApplied).toBe(true);
    expect(await db.collection(windows.collection).findOne({})).toMatchObject({ inserted: true });
    const held = await jobsOf(db, monque).findOne({});
    if (!held) throw new Error('the held job was not inserted');
    expect(held.nextRunAt).toEqual(new Date(T0.getTime() + 60_000));
    expect(await monque.deleteJob(held._id)).toBe(true);
    const again = await monque.enqueue('digest', { n: 2 }, throttled);
    expect(again).toMatchObject({ _id: held._id, data: { n: 1 }, nextRunAt: T0, createdAt: T0 });
    expect(events.map((event) => event.outcome)).toEqual(['throttled']);
    expect(await jobsOf(db, monque).countDocuments()).toBe(0);
  });

  it('throttle, the window swap of a closed window lost: the new job created once', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const { monque, proxy, windows } = await setup(db, { clock });
    await monque.enqueue('digest', { n: 1 }, { uniqueKey: 'k', throttle: 1_000 });
    clock.set(new Date(T0.getTime() + 1_000));
    proxy.loseReply({ ...windows, name: 'update' });
    const next = await monque.enqueue('digest', { n: 2 }, { uniqueKey: 'k', throttle: 1_000 });
    expect(next.data).toEqual({ n: 2 });
    expect(await jobsOf(db, monque).countDocuments()).toBe(2);
  });

  // replace sends its upsert first (dropped, but the caller cannot know it was not applied); throttle
  // only gets to read its window.
  it.each([
    ['replace', { onDuplicate: 'replace' as const }, true],
    ['throttle', { throttle: 1_000 }, false],
  ])(
    '%s, the database unreachable: rejects with a ConnectionError after 3 tries (may have been applied: %s), and writes nothing',
    async (_, mode, mayHaveBeenApplied) => {
      const db = await getDb();
      const { monque, proxy, jobs } = await setup(db);
      const ours = (command: { collection?: string }) => command.collection?.startsWith(jobs.collection) === true;
      const dropped = proxy.dropRequest(ours, { times: Number.POSITIVE_INFINITY });
      const error = await monque
        .enqueue('sync', { v: 1 }, { uniqueKey: 'k', ...mode })
        .catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).mayHaveBeenApplied).toBe(mayHaveBeenApplied);
      expect(dropped.hits).toBe(3);
      dropped.cancel();
      expect(await jobsOf(db, monque).countDocuments()).toBe(0);
    },
  );
});
