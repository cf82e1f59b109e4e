/**
 * `debounce` (and `maxWait`): the pending job of the key gets the latest data and becomes due
 * `debounce` ms after the latest enqueue, at the latest `maxWait` ms after its creation; a running
 * job keeps running and one job is queued behind it; a burst runs once, with the last data.
 * Time comes from a `TestClock`, so due times are exact and nothing runs before the test says so.
 */
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/index.js';
import { createMonque, deferred, jobsOf, useTestDb, waitForStatus } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';
import { deduplications, jobsOfKey, twoInstances } from './helpers.js';

const getDb = useTestDb(import.meta.url);

const T0 = new Date('2031-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('debounce', () => {
  it('each enqueue replaces the data and pushes the due time to debounce ms after it', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const monque = createMonque(db, { clock });
    const events = deduplications(monque);
    const first = await monque.enqueue('reindex', { edit: 1 }, { uniqueKey: 'doc-7', debounce: 1_000 });
    expect(first).toMatchObject({ nextRunAt: at(1_000), data: { edit: 1 }, createdAt: T0 });
    clock.advance(300);
    const second = await monque.enqueue('reindex', { edit: 2 }, { uniqueKey: 'doc-7', debounce: 1_000 });
    expect(second._id.equals(first._id)).toBe(true);
    expect(second).toMatchObject({ nextRunAt: at(1_300), data: { edit: 2 }, createdAt: T0, updatedAt: at(300) });
    expect(events).toEqual([{ outcome: 'debounced', job: second }]);
    const stored = await jobsOfKey(db, monque, 'reindex', 'doc-7');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ nextRunAt: at(1_300), data: { edit: 2 } });
  });

  it('a later call with a shorter debounce brings the due time forward (due debounce ms after the latest call)', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const monque = createMonque(db, { clock });
    await monque.enqueue('reindex', {}, { uniqueKey: 'k', debounce: 10_000 });
    clock.advance(100);
    const job = await monque.enqueue('reindex', {}, { uniqueKey: 'k', debounce: 500 });
    expect(job.nextRunAt).toEqual(at(600));
  });

  it('maxWait caps the push-back at createdAt + maxWait, however many calls follow', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const monque = createMonque(db, { clock });
    const events = deduplications(monque);
    const options = { uniqueKey: 'k', debounce: 1_000, maxWait: 2_500 };
    await monque.enqueue('reindex', { n: 1 }, options);
    clock.set(at(1_400));
    expect((await monque.enqueue('reindex', { n: 2 }, options)).nextRunAt).toEqual(at(2_400));
    clock.set(at(1_600));
    const capped = await monque.enqueue('reindex', { n: 3 }, options);
    expect(capped).toMatchObject({ nextRunAt: at(2_500), data: { n: 3 } });
    clock.set(at(2_499));
    expect(await monque.enqueue('reindex', { n: 4 }, options)).toMatchObject({ nextRunAt: at(2_500), data: { n: 4 } });
    expect(events.map((event) => event.outcome)).toEqual(['debounced', 'debounced', 'debounced']);
    expect(await jobsOf(db, monque).countDocuments()).toBe(1);
  });

  it('the cap counts from the pending job’s creation: a job created by a plain enqueue is capped from its createdAt', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const monque = createMonque(db, { clock });
    await monque.enqueue('reindex', {}, { uniqueKey: 'k', runAt: at(60_000) });
    clock.set(at(5_000));
    const job = await monque.enqueue('reindex', { n: 2 }, { uniqueKey: 'k', debounce: 1_000, maxWait: 3_000 });
    expect(job.nextRunAt).toEqual(at(3_000));
  });

  it('a burst runs once, with the last data, debounce ms after the last enqueue (the search reindex)', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const monque = createMonque(db, { clock });
    const runs: { data: unknown; at: Date }[] = [];
    monque.worker('reindex', (job) => void runs.push({ data: job.data, at: clock.now() }));
    await monque.start();
    let last = T0;
    for (let edit = 1; edit <= 10; edit += 1) {
      await monque.enqueue('reindex', { edit }, { uniqueKey: 'search', debounce: 1_000 });
      last = clock.now();
      clock.advance(200);
    }
    // The clock never reached a due time during the burst, so nothing could run.
    expect(runs).toEqual([]);
    clock.set(new Date(last.getTime() + 1_000));
    const [job] = await jobsOfKey(db, monque, 'reindex', 'search');
    await waitForStatus(db, monque, job?._id as never, JobStatus.COMPLETED);
    await monque.stop();
    expect(runs).toEqual([{ data: { edit: 10 }, at: new Date(last.getTime() + 1_000) }]);
  });

  it('a running job keeps running; one job is queued behind it, due debounce ms after the call', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const monque = createMonque(db, { clock });
    const entered = deferred();
    const release = deferred();
    monque.worker('reindex', async () => {
      entered.resolve();
      await release.promise;
    });
    await monque.start();
    const running = await monque.enqueue('reindex', { n: 0 }, { uniqueKey: 'k' });
    await entered.promise;
    clock.advance(5);
    const queued = await monque.enqueue('reindex', { n: 1 }, { uniqueKey: 'k', debounce: 1_000 });
    expect(queued.nextRunAt).toEqual(at(1_005));
    clock.advance(10);
    const again = await monque.enqueue('reindex', { n: 2 }, { uniqueKey: 'k', debounce: 1_000 });
    expect(again._id.equals(queued._id)).toBe(true);
    expect(again.nextRunAt).toEqual(at(1_015));
    const stored = await jobsOfKey(db, monque, 'reindex', 'k');
    expect(stored.map((job) => [job._id.toHexString(), job.status, job.data, job.activeKey])).toEqual([
      [running._id.toHexString(), JobStatus.PROCESSING, { n: 0 }, undefined],
      [queued._id.toHexString(), JobStatus.PENDING, { n: 2 }, 'u:k'],
    ]);
    release.resolve();
    await waitForStatus(db, monque, running._id, JobStatus.COMPLETED);
    await monque.stop();
  });

  it('two instances racing: one job, the data of one call, due debounce ms after the calls', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const [a, b] = await twoInstances(db, { clock });
    const events = [a, b].map(deduplications);
    const returned = await Promise.all(
      Array.from({ length: 24 }, (_, n) =>
        (n % 2 === 0 ? a : b).enqueue('reindex', { n }, { uniqueKey: 'race', debounce: 1_000 }),
      ),
    );
    const stored = await jobsOfKey(db, a, 'reindex', 'race');
    expect(stored).toHaveLength(1);
    expect(stored[0]?.nextRunAt).toEqual(at(1_000));
    returned.forEach((job, n) => {
      expect(job._id.equals(stored[0]?._id as never)).toBe(true);
      expect(job.data).toEqual({ n });
    });
    expect(events.flat().map((event) => event.outcome)).toEqual(Array(23).fill('debounced'));
  });

  it('two instances racing past the cap: every call lands on the one job, due at its cap', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const [a, b] = await twoInstances(db, { clock });
    const options = { uniqueKey: 'race', debounce: 1_000, maxWait: 1_500 };
    await a.enqueue('reindex', { n: -1 }, options);
    clock.set(at(1_000));
    await Promise.all(Array.from({ length: 16 }, (_, n) => (n % 2 === 0 ? a : b).enqueue('reindex', { n }, options)));
    const stored = await jobsOfKey(db, a, 'reindex', 'race');
    expect(stored).toHaveLength(1);
    expect(stored[0]?.nextRunAt).toEqual(at(1_500));
    expect(stored[0]?.data).not.toEqual({ n: -1 });
  });
});
