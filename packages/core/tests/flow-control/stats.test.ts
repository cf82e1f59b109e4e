/**
 * What operators see of flow control, from any instance (even one with no workers): `getStats()`
 * reports per name `limited` (due jobs its limits hold back now) and the `limits` its workers run
 * with; `getGroupStats()` lists a name's busiest groups with their counts and what is held back;
 * `getJobs`/`countJobs` filter by group.
 */
import { waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobStatus, RateLimitError } from '../../src/index.js';
import { createMonque, deferred, nextEvent, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

describe('flow-control figures', () => {
  it('getStats: limited and limits per name, for concurrency, group and rate limits and a held name; 0 elsewhere', async () => {
    const db = await getDb();
    const worker = createMonque(db);
    const reader = createMonque(db, { collectionName: worker.options.collectionName });
    const release = deferred();
    const block = () => release.promise;
    worker.worker('global', block, { concurrency: 5, globalConcurrency: 2 });
    worker.worker('groups', block, { concurrency: 5, groupConcurrency: 1 });
    worker.worker('rated', block, { concurrency: 5, rateLimit: { max: 2, duration: 60_000 } });
    worker.worker('held', () => {
      throw new RateLimitError(60_000);
    });
    await worker.enqueueMany([
      ...Array.from({ length: 5 }, (_, n) => ({ name: 'global', data: { n } })),
      ...Array.from({ length: 4 }, (_, n) => ({ name: 'groups', data: { n }, options: { group: 'a' } })),
      ...Array.from({ length: 2 }, (_, n) => ({ name: 'groups', data: { n }, options: { group: 'b' } })),
      ...Array.from({ length: 5 }, (_, n) => ({ name: 'rated', data: { n } })),
      { name: 'plain', data: { n: 0 } },
    ]);
    await worker.enqueue('held', {});
    const limited = nextEvent(worker, 'job:rate-limited');
    await worker.start();
    await limited;
    await worker.enqueueMany(Array.from({ length: 2 }, (_, n) => ({ name: 'held', data: { n } })));
    await waitUntil(async () => (await reader.countJobs({ status: JobStatus.PROCESSING })) === 6, 'six runs');
    const stats = await reader.getStats();
    expect(stats.byName.global).toMatchObject({ processing: 2, due: 3, limited: 3, limits: { globalConcurrency: 2 } });
    expect(stats.byName.groups).toMatchObject({ processing: 2, due: 4, limited: 4, limits: { groupConcurrency: 1 } });
    expect(stats.byName.rated).toMatchObject({
      processing: 2,
      due: 3,
      limited: 3,
      limits: { rateLimit: { max: 2, duration: 60_000 } },
    });
    // The held name's own job is due in a minute; the two enqueued since are due and held.
    expect(stats.byName.held).toMatchObject({ due: 2, limited: 2 });
    expect(stats.byName.plain).toMatchObject({ due: 1, limited: 0 });
    expect(stats.byName.plain?.limits).toBeUndefined();

    const groups = await reader.getGroupStats('groups');
    expect(groups).toEqual([
      { group: 'a', pending: 3, due: 3, processing: 1, limited: 3 },
      { group: 'b', pending: 1, due: 1, processing: 1, limited: 1 },
    ]);
    expect(await reader.getGroupStats('groups', { limit: 1 })).toHaveLength(1);
    expect(await reader.getGroupStats('plain')).toEqual([]);

    expect(await reader.countJobs({ group: 'a' })).toBe(4);
    expect(await reader.countJobs({ name: 'groups', group: 'b', status: JobStatus.PENDING })).toBe(1);
    const page = await reader.getJobs({ group: 'b' });
    expect(page.jobs.map((job) => job.group)).toEqual(['b', 'b']);
    release.resolve();
    await worker.stop();
  });

  it('names such as constructor, toString and __proto__ are names like any other: nothing held, limited 0', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const names = ['constructor', 'toString', '__proto__', 'hasOwnProperty'];
    await monque.enqueueMany(names.map((name) => ({ name, data: {} })));
    const stats = await monque.getStats();
    for (const name of names) {
      expect(Object.hasOwn(stats.byName, name), name).toBe(true);
      expect(stats.byName[name], name).toMatchObject({ pending: 1, due: 1, limited: 0 });
    }
  });
});
