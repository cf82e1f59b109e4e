/**
 * What an operator's console needs from the operations API: jobs selected by id (`query.ids`) or by
 * group, pages in another order than newest first (`page.sort`: created, next run, finished), and
 * the recurring jobs still scheduled (`getSchedules`).
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type Job, JobStatus } from '../../src/index.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { createOpsMonque, insertJobs, type JobSpec, rawJobs, useOperationsDb } from './helpers.js';

const getDb = useOperationsDb(import.meta.url);

const at = (minute: number): Date => new Date(Date.UTC(2025, 5, 10, 12, minute));

/** Every page of `getJobs` with `page`, followed to the end: the jobs' `data.n` in order. */
async function allPages(
  monque: ReturnType<typeof createOpsMonque>,
  query: Parameters<typeof monque.getJobs>[0],
  page: Parameters<typeof monque.getJobs>[1] = {},
): Promise<unknown[]> {
  const seen: unknown[] = [];
  let cursor: string | null | undefined;
  for (let pages = 0; pages < 20; pages += 1) {
    const result = await monque.getJobs<{ n: number }>(query, { ...page, ...(cursor ? { cursor } : {}) });
    seen.push(...result.jobs.map((job) => job.data.n));
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return seen;
}

const invalid = async (promise: Promise<unknown>): Promise<InvalidArgumentError> => {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(InvalidArgumentError);
  return error as InvalidArgumentError;
};

describe('query.ids', () => {
  it('selects exactly those jobs, with the other fields, in getJobs, countJobs and the bulk calls', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const docs = await insertJobs(
      db,
      monque,
      Array.from({ length: 6 }, (_, n) => ({ status: JobStatus.FAILED, name: n < 3 ? 'a' : 'b', data: { n } })),
    );
    const ids = docs.map((doc) => doc._id);
    const picked = [ids[0], ids[2], ids[4]].map((id) => id?.toHexString() as string);
    expect(await monque.countJobs({ ids: picked })).toBe(3);
    expect(await monque.countJobs({ ids: picked, name: 'a' })).toBe(2);
    // The page's start narrows the ids, it does not replace them.
    expect(await allPages(monque, { ids: picked }, { limit: 2 })).toEqual([4, 2, 0]);
    expect(await monque.retryJobs({ ids: [ids[1] as Job['_id']] })).toEqual({ count: 1 });
    expect(await monque.deleteJobs({ ids: picked })).toEqual({ count: 3 });
    expect(await rawJobs(db, monque).countDocuments({})).toBe(3);
  });

  it('refuses an empty list, more than 1000 ids and anything but ids, naming the item', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    await insertJobs(db, monque, [{ status: JobStatus.COMPLETED }]);
    expect((await invalid(monque.deleteJobs({ ids: [] }))).argument).toBe('query.ids');
    const many = Array.from({ length: 1001 }, (_, index) => index.toString(16).padStart(24, '0'));
    expect((await invalid(monque.deleteJobs({ ids: many }))).argument).toBe('query.ids');
    expect((await invalid(monque.deleteJobs({ ids: 'abc' as never }))).argument).toBe('query.ids');
    const error = await invalid(monque.deleteJobs({ ids: ['a'.repeat(24), { $ne: null } as never] }));
    expect(error.argument).toBe('query.ids[1]');
    expect(await rawJobs(db, monque).countDocuments({})).toBe(1);
  });
});

describe('query.group', () => {
  it('selects the jobs of one group by equality', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    await insertJobs(db, monque, [
      { status: JobStatus.PENDING, data: { n: 1 }, group: 'tenant-1' } as JobSpec,
      { status: JobStatus.PENDING, data: { n: 2 }, group: 'tenant-2' } as JobSpec,
      { status: JobStatus.PENDING, data: { n: 3 } },
    ]);
    expect(await allPages(monque, { group: 'tenant-1' })).toEqual([1]);
    expect(await monque.countJobs({ group: 'tenant-2', status: 'pending' })).toBe(1);
    expect((await invalid(monque.countJobs({ group: { $exists: true } as never }))).argument).toBe('query.group');
    expect((await invalid(monque.countJobs({ group: '' }))).argument).toBe('query.group');
  });
});

describe('page.sort', () => {
  it('by next run: soonest first by default, latest first with desc, ties by _id, every job once', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    await insertJobs(
      db,
      monque,
      [30, 10, 20, 10, 40].map((minute, n) => ({ status: JobStatus.PENDING, nextRunAt: at(minute), data: { n } })),
    );
    expect(await allPages(monque, {}, { sort: { by: 'nextRun' }, limit: 2 })).toEqual([1, 3, 2, 0, 4]);
    expect(await allPages(monque, {}, { sort: { by: 'nextRun', order: 'desc' }, limit: 2 })).toEqual([4, 0, 2, 3, 1]);
  });

  it('by finished: latest first, the jobs not finished after them; ascending the other way round', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    await insertJobs(db, monque, [
      { status: JobStatus.COMPLETED, finishedAt: at(5), data: { n: 0 } },
      { status: JobStatus.PENDING, data: { n: 1 } },
      { status: JobStatus.FAILED, finishedAt: at(9), data: { n: 2 } },
      { status: JobStatus.PROCESSING, data: { n: 3 } },
      { status: JobStatus.CANCELLED, finishedAt: at(7), data: { n: 4 } },
      { status: JobStatus.COMPLETED, finishedAt: at(9), data: { n: 5 } },
    ]);
    for (const limit of [1, 2, 4, 10]) {
      expect(await allPages(monque, {}, { sort: { by: 'finished' }, limit }), `limit ${limit}`).toEqual([
        5, 2, 4, 0, 3, 1,
      ]);
      expect(
        await allPages(monque, {}, { sort: { by: 'finished', order: 'asc' }, limit }),
        `asc, limit ${limit}`,
      ).toEqual([1, 3, 0, 4, 2, 5]);
    }
    expect(await allPages(monque, { status: 'completed' }, { sort: { by: 'finished' }, limit: 1 })).toEqual([5, 0]);
  });

  it('by created: newest first by default, oldest first with asc', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    await insertJobs(
      db,
      monque,
      [0, 1, 2, 3].map((n) => ({ status: JobStatus.PENDING, data: { n } })),
    );
    expect(await allPages(monque, {}, { sort: { by: 'created' }, limit: 3 })).toEqual([3, 2, 1, 0]);
    expect(await allPages(monque, {}, { sort: { by: 'created', order: 'asc' }, limit: 3 })).toEqual([0, 1, 2, 3]);
  });

  it('refuses a bad sort, and a cursor read with another sort', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    await insertJobs(
      db,
      monque,
      [0, 1, 2].map((n) => ({ status: JobStatus.PENDING, data: { n } })),
    );
    expect((await invalid(monque.getJobs({}, { sort: 'nextRun' as never }))).argument).toBe('page.sort');
    expect((await invalid(monque.getJobs({}, { sort: { by: 'priority' as never } }))).argument).toBe('page.sort.by');
    const order = await invalid(monque.getJobs({}, { sort: { by: 'nextRun', order: 'up' as never } }));
    expect(order.argument).toBe('page.sort.order');
    const extra = await invalid(monque.getJobs({}, { sort: { by: 'created', dir: 'asc' } as never }));
    expect(extra.argument).toBe('page.sort.dir');
    const { nextCursor } = await monque.getJobs({}, { sort: { by: 'nextRun' }, limit: 1 });
    const other = await invalid(monque.getJobs({}, { cursor: nextCursor as string, limit: 1 }));
    expect(other.argument).toBe('page.cursor');
    expect(other.message).toContain('another order');
    const asc = await invalid(
      monque.getJobs({}, { cursor: nextCursor as string, sort: { by: 'nextRun', order: 'desc' } }),
    );
    expect(asc.message).toContain('another order');
  });
});

describe('getSchedules', () => {
  it('lists the recurring jobs still scheduled, by name then unique key', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    await monque.schedule('0 3 * * *', 'report', { kind: 'daily' }, { timezone: 'Europe/Berlin' });
    await monque.schedule('*/5 * * * *', 'cleanup', {}, { uniqueKey: 'tmp' });
    await monque.schedule('0 * * * *', 'cleanup', {}, { uniqueKey: 'cache' });
    await monque.schedule('0 0 * * 0', 'gone', {});
    await monque.unschedule('gone');
    await monque.schedule('0 0 1 * *', 'cancelled-one', {});
    const [cancelled] = await monque.getSchedules({ name: 'cancelled-one' });
    await monque.cancelJob(cancelled?._id as Job['_id']);
    await monque.enqueue('report', { once: true }, { uniqueKey: 'one-off' });
    await insertJobs(db, monque, [
      {
        status: JobStatus.PROCESSING,
        name: 'sync',
        repeatInterval: '* * * * *',
        timezone: 'UTC',
        activeKey: 's:',
      } as JobDocument,
    ]);

    const schedules = await monque.getSchedules();
    expect(schedules.map((job) => [job.name, job.uniqueKey ?? null, job.repeatInterval, job.timezone])).toEqual([
      ['cleanup', 'cache', '0 * * * *', 'UTC'],
      ['cleanup', 'tmp', '*/5 * * * *', 'UTC'],
      ['report', null, '0 3 * * *', 'Europe/Berlin'],
      ['sync', null, '* * * * *', 'UTC'],
    ]);
    expect(schedules[0]).not.toHaveProperty('activeKey');
    expect((await monque.getSchedules({ name: 'cleanup' })).map((job) => job.uniqueKey)).toEqual(['cache', 'tmp']);
    expect((await monque.getSchedules({ limit: 1 })).map((job) => job.uniqueKey)).toEqual(['cache']);
  });

  it('pages with after (the name and unique key of the last one listed), so none is left out past a page', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    await monque.schedule('0 1 * * *', 'a', {});
    await monque.schedule('0 2 * * *', 'a', {}, { uniqueKey: 'k2' });
    await monque.schedule('0 3 * * *', 'a', {}, { uniqueKey: 'k1' });
    await monque.schedule('0 4 * * *', 'b', {});
    await monque.schedule('0 5 * * *', 'c', {}, { uniqueKey: 'x' });
    const seen: string[] = [];
    let after: { name: string; uniqueKey?: string } | undefined;
    for (let pages = 0; pages < 5; pages += 1) {
      const page = await monque.getSchedules({ limit: 2, ...(after ? { after } : {}) });
      seen.push(...page.map((job) => `${job.name}/${job.uniqueKey ?? ''}`));
      const last = page.at(-1);
      if (page.length < 2 || !last) break;
      after = { name: last.name, ...(last.uniqueKey === undefined ? {} : { uniqueKey: last.uniqueKey }) };
    }
    expect(seen).toEqual(['a/', 'a/k1', 'a/k2', 'b/', 'c/x']);
    expect((await monque.getSchedules({ name: 'a', after: { name: 'a' } })).map((job) => job.uniqueKey)).toEqual([
      'k1',
      'k2',
    ]);
    expect(await monque.getSchedules({ after: { name: 'c', uniqueKey: 'x' } })).toEqual([]);
  });

  it('checks its options', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    expect((await invalid(monque.getSchedules({ name: '' }))).argument).toBe('options.name');
    expect((await invalid(monque.getSchedules({ limit: 0 }))).argument).toBe('options.limit');
    expect((await invalid(monque.getSchedules({ limit: 1001 }))).argument).toBe('options.limit');
    expect((await invalid(monque.getSchedules({ cron: 'x' } as never))).argument).toBe('options.cron');
    expect((await invalid(monque.getSchedules('report' as never))).argument).toBe('options');
    expect((await invalid(monque.getSchedules({ after: 'a' } as never))).argument).toBe('options.after');
    expect((await invalid(monque.getSchedules({ after: { name: '' } }))).argument).toBe('options.after.name');
    expect((await invalid(monque.getSchedules({ after: { name: 'a', uniqueKey: 5 } } as never))).argument).toBe(
      'options.after.uniqueKey',
    );
    expect((await invalid(monque.getSchedules({ after: { name: 'a', id: 1 } } as never))).argument).toBe(
      'options.after.id',
    );
  });
});
