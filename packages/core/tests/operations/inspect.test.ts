import { freshCollectionName } from '@monque/test-backend';
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type Job, JobStatus, type JobStatusType, type StatusCounts } from '../../src/index.js';
import { openCommandLog } from '../helpers/command-log.js';
import { TestClock } from '../helpers/test-clock.js';
import { createOpsMonque, insertJobs, rawJobs, useOperationsDb } from './helpers.js';

const getDb = useOperationsDb(import.meta.url);

const MINUTE = 60_000;

describe('getJob', () => {
  it('finds a job by ObjectId or hex string, without the engine fields', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const job = await monque.enqueue('report', { n: 1 }, { uniqueKey: 'r-1' });
    const byId = await monque.getJob(job._id);
    const byHex = await monque.getJob(job._id.toHexString());
    expect(byId).toEqual(job);
    expect(byHex).toEqual(job);
    expect(byId).not.toHaveProperty('activeKey');
    expect(await monque.getJob(new ObjectId())).toBeNull();
  });

  it('refuses anything but an ObjectId or 24 hex digits, naming the argument', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    for (const bad of [{ $exists: true }, { $ne: null }, 'abc', 42, null, undefined, `${'a'.repeat(23)}g`]) {
      const error = await monque.getJob(bad as never).catch((e: unknown) => e);
      expect(error, String(bad)).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe('id');
    }
  });
});

describe('getJobs', () => {
  it('keyset pages list 120 jobs exactly once, newest first, while jobs are added', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const original = await monque.enqueueMany(
      Array.from({ length: 120 }, (_, i) => ({
        name: 'page',
        data: { i },
        options: { runAt: new Date(Date.now() + MINUTE) },
      })),
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await monque.getJobs({ name: 'page' }, { limit: 25, ...(cursor ? { cursor } : {}) });
      pages += 1;
      seen.push(...page.jobs.map((job) => job._id.toHexString()));
      cursor = page.nextCursor ?? undefined;
      // Jobs added while an operator pages through must neither repeat nor push others out.
      await monque.enqueueMany([1, 2, 3].map((i) => ({ name: 'page', data: { added: i } })));
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen).toHaveLength(120);
    expect(new Set(seen).size).toBe(120);
    expect(new Set(seen)).toEqual(new Set(original.map((job) => job._id.toHexString())));
    const newestFirst = [...seen].sort((a, b) => b.localeCompare(a));
    expect(seen).toEqual(newestFirst);
    expect(await monque.countJobs({ name: 'page' })).toBe(120 + 15);
  });

  it('an exact multiple of the limit ends with a null cursor, and the default limit is 50', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    await monque.enqueueMany(Array.from({ length: 60 }, (_, i) => ({ name: 'p', data: { i } })));
    const first = await monque.getJobs();
    expect(first.jobs).toHaveLength(50);
    expect(first.nextCursor).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]+$/));
    const second = await monque.getJobs({}, { cursor: first.nextCursor as string, limit: 10 });
    expect(second.jobs).toHaveLength(10);
    expect(second.nextCursor).toBeNull();
    const whole = await monque.getJobs({}, { limit: 60 });
    expect(whole.jobs).toHaveLength(60);
    expect(whole.nextCursor).toBeNull();
  });

  it('filters by name, status, uniqueKey and creation/finish times', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const t0 = new Date('2030-01-01T00:00:00Z');
    const at = (minutes: number) => new Date(t0.getTime() + minutes * MINUTE);
    const docs = await insertJobs(db, monque, [
      { name: 'a', status: JobStatus.PENDING, createdAt: at(0) },
      { name: 'a', status: JobStatus.FAILED, createdAt: at(1), finishedAt: at(5) },
      { name: 'b', status: JobStatus.COMPLETED, createdAt: at(2), finishedAt: at(3) },
      { name: 'b', status: JobStatus.PROCESSING, createdAt: at(3), uniqueKey: 'k1' },
      { name: 'c', status: JobStatus.CANCELLED, createdAt: at(4), finishedAt: at(4), uniqueKey: 'k1' },
    ]);
    const names = async (query: Parameters<typeof monque.getJobs>[0]) =>
      (await monque.getJobs(query)).jobs.map((job) => docs.findIndex((doc) => doc._id.equals(job._id))).sort();
    expect(await names({ name: 'a' })).toEqual([0, 1]);
    expect(await names({ name: ['a', 'c'] })).toEqual([0, 1, 4]);
    expect(await names({ status: JobStatus.FAILED })).toEqual([1]);
    expect(await names({ status: [JobStatus.COMPLETED, JobStatus.CANCELLED] })).toEqual([2, 4]);
    expect(await names({ name: 'b', status: JobStatus.PROCESSING })).toEqual([3]);
    expect(await names({ uniqueKey: 'k1' })).toEqual([3, 4]);
    expect(await names({ createdAfter: at(1), createdBefore: at(4) })).toEqual([1, 2, 3]);
    // Either bound alone: from (inclusive), before (exclusive).
    expect(await names({ createdAfter: at(3) })).toEqual([3, 4]);
    expect(await names({ createdBefore: at(1) })).toEqual([0]);
    expect(await names({ finishedBefore: at(4) })).toEqual([2]);
    expect(await names({ name: 'nobody' })).toEqual([]);
    for (const query of [{ name: 'a' }, { uniqueKey: 'k1' }, { createdAfter: at(2) }, {}]) {
      expect(await monque.countJobs(query)).toBe((await names(query)).length);
    }
  });

  it('matches payload fields by equality, dotted paths and every scalar type', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const when = new Date('2031-05-06T07:08:09.010Z');
    const jobs = await monque.enqueueMany([
      { name: 'd', data: { customer: { id: 42, tier: 'gold', vip: true, since: when, note: null } } },
      { name: 'd', data: { customer: { id: 43, tier: 'gold', vip: false, since: new Date(0), note: 'x' } } },
      { name: 'd', data: { customer: { id: '42', tier: 'silver' } } },
      { name: 'e', data: { customer: { id: 42 } } },
    ]);
    const found = async (data: Record<string, string | number | boolean | null | Date>, name?: string) =>
      (await monque.getJobs({ data, ...(name ? { name } : {}) })).jobs
        .map((job) => jobs.findIndex((j) => j._id.equals(job._id)))
        .sort();
    expect(await found({ 'customer.id': 42 })).toEqual([0, 3]);
    expect(await found({ 'customer.id': 42 }, 'd')).toEqual([0]);
    expect(await found({ 'customer.id': '42' })).toEqual([2]);
    expect(await found({ 'customer.tier': 'gold' })).toEqual([0, 1]);
    expect(await found({ 'customer.vip': true })).toEqual([0]);
    expect(await found({ 'customer.vip': false })).toEqual([1]);
    expect(await found({ 'customer.since': when })).toEqual([0]);
    expect(await found({ 'customer.note': 'x' })).toEqual([1]);
    expect(await found({ 'customer.note': null, 'customer.tier': 'gold' })).toEqual([0]);
    expect(await found({ 'customer.tier': 'gold', 'customer.id': 43 })).toEqual([1]);
    expect(await found({ customer: 'nothing' })).toEqual([]);
    expect(await monque.countJobs({ data: { 'customer.tier': 'gold' } })).toBe(2);
  });

  it('matches a field named like a member of every object (__proto__, constructor) like any other', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    // An own `__proto__` key, as JSON.parse and the driver make it.
    const proto = (value: unknown) => JSON.parse(`{"__proto__":${JSON.stringify(value)}}`);
    await monque.enqueueMany([
      { name: 'p', data: proto(5) },
      { name: 'p', data: { constructor: 'x', nested: proto(1) } },
      { name: 'p', data: { other: 1 } },
    ]);
    const count = (entries: [string, unknown][]) => monque.countJobs({ data: Object.fromEntries(entries) as never });
    expect(await count([['__proto__', 5]])).toBe(1);
    expect(await count([['__proto__', 6]])).toBe(0);
    expect(await count([['constructor', 'x']])).toBe(1);
    expect(await count([['nested.__proto__', 1]])).toBe(1);
    const [found] = (await monque.getJobs({ data: Object.fromEntries([['__proto__', 5]]) })).jobs;
    expect(Object.getOwnPropertyNames(found?.data)).toEqual(['__proto__']);
  });
});

describe('getStats', () => {
  const STATUSES: JobStatusType[] = [
    JobStatus.PENDING,
    JobStatus.PROCESSING,
    JobStatus.COMPLETED,
    JobStatus.FAILED,
    JobStatus.CANCELLED,
  ];

  it('lists names like members of every object (__proto__, constructor, toString) as names, changing no prototype', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    await monque.enqueueMany([
      { name: '__proto__', data: {} },
      { name: '__proto__', data: {} },
      { name: 'constructor', data: {} },
      { name: 'toString', data: {} },
      { name: 'plain', data: {} },
    ]);
    try {
      const { byName, total } = await monque.getStats();
      expect(Object.keys(byName).sort()).toEqual(['__proto__', 'constructor', 'plain', 'toString']);
      expect(Object.getOwnPropertyDescriptor(byName, '__proto__')?.value).toMatchObject({ pending: 2, due: 2 });
      expect(byName.constructor).toMatchObject({ pending: 1, due: 1 });
      expect(byName.toString).toMatchObject({ pending: 1, due: 1 });
      expect(total).toMatchObject({ pending: 5, due: 5 });
      // Counting `__proto__` must not write the counters onto Object.prototype.
      expect(Object.hasOwn(Object.prototype, 'pending')).toBe(false);
    } finally {
      for (const key of ['pending', 'due', 'processing', 'completed', 'failed', 'cancelled', 'oldestDueAt']) {
        delete (Object.prototype as Record<string, unknown>)[key];
        delete (Object as unknown as Record<string, unknown>)[key];
        delete (Object.prototype.toString as unknown as Record<string, unknown>)[key];
      }
    }
  });

  it('every figure equals a plain count, per name and in total', async () => {
    const db = await getDb();
    // getStats reads the time from the instance's clock; a second on, so jobs inserted below with
    // nextRunAt = now are due for both getStats and the plain counts.
    const clock = new TestClock(new Date(Date.now() + 1000));
    const monque = createOpsMonque(db, { clock });
    const now = Date.now();
    const specs = [];
    for (const [n, name] of ['alpha', 'beta', 'gamma'].entries()) {
      STATUSES.forEach((status, s) => {
        for (let i = 0; i < ((n + 1) * (s + 2)) % 5; i += 1) specs.push({ name, status, nextRunAt: new Date(now) });
      });
      for (let i = 0; i <= n; i += 1) {
        specs.push({ name, status: JobStatus.PENDING, nextRunAt: new Date(now - (i + 1) * MINUTE * (n + 1)) });
        specs.push({ name, status: JobStatus.PENDING, nextRunAt: new Date(now + (i + 1) * MINUTE) });
      }
    }
    // delta has only future jobs: no oldestDueAt.
    specs.push({ name: 'delta', status: JobStatus.PENDING, nextRunAt: new Date(now + 10 * MINUTE) });
    await insertJobs(db, monque, specs);
    const stats = await monque.getStats();

    const raw = rawJobs(db, monque);
    const checkAgainstCounts = async (counts: StatusCounts, name?: string) => {
      const scope = name ? { name } : {};
      for (const status of STATUSES)
        expect(counts[status], `${name} ${status}`).toBe(await raw.countDocuments({ ...scope, status }));
      const nowDate = clock.now();
      expect(counts.due, `${name} due`).toBe(
        await raw.countDocuments({ ...scope, status: 'pending', nextRunAt: { $lte: nowDate } }),
      );
    };
    await checkAgainstCounts(stats.total);
    expect(Object.keys(stats.byName).sort()).toEqual(['alpha', 'beta', 'delta', 'gamma']);
    for (const [name, counts] of Object.entries(stats.byName)) {
      await checkAgainstCounts(counts, name);
      const [oldest] = await raw
        .find({ name, status: 'pending', nextRunAt: { $lte: clock.now() } })
        .sort({ nextRunAt: 1 })
        .limit(1)
        .toArray();
      expect(counts.oldestDueAt, `${name} oldestDueAt`).toEqual(oldest?.nextRunAt ?? null);
    }
    expect(stats.byName.gamma?.oldestDueAt).toEqual(new Date(now - 9 * MINUTE));
    expect(stats.byName.delta?.oldestDueAt).toBeNull();
    expect(stats.total.pending).toBeGreaterThan(stats.total.due);
  });

  it('a query narrows the figures; statuses it does not select count zero', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    await insertJobs(db, monque, [
      { name: 'a', status: JobStatus.FAILED, data: { tenant: 1 } },
      { name: 'a', status: JobStatus.FAILED, data: { tenant: 2 } },
      { name: 'a', status: JobStatus.PENDING, data: { tenant: 1 }, nextRunAt: new Date(Date.now() - MINUTE) },
      { name: 'b', status: JobStatus.FAILED, data: { tenant: 1 } },
    ]);
    const failed = await monque.getStats({ status: 'failed' });
    expect(failed.total).toEqual({
      waiting: 0,
      pending: 0,
      due: 0,
      processing: 0,
      completed: 0,
      failed: 3,
      cancelled: 0,
    });
    expect(failed.byName.a?.oldestDueAt).toBeNull();
    const tenant = await monque.getStats({ name: 'a', data: { tenant: 1 } });
    expect(tenant.total).toEqual({
      waiting: 0,
      pending: 1,
      due: 1,
      processing: 0,
      completed: 0,
      failed: 1,
      cancelled: 0,
    });
    expect(Object.keys(tenant.byName)).toEqual(['a']);
    expect(await monque.getStats({ name: 'nobody' })).toEqual({
      total: { waiting: 0, pending: 0, due: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 },
      byName: {},
    });
  });

  it('takes a bounded number of commands: one per status, one for due jobs, one per name with due jobs', async () => {
    const db = await getDb();
    const log = await openCommandLog(db.databaseName);
    try {
      const monque = createOpsMonque(log.db, { collectionName: freshCollectionName(db) });
      const now = Date.now();
      await insertJobs(
        log.db,
        monque,
        ['a', 'b', 'c'].flatMap((name) =>
          STATUSES.map((status) => ({ name, status, nextRunAt: new Date(now - MINUTE) }) satisfies Partial<Job>),
        ),
      );
      await monque.countJobs(); // indexes exist from here on
      log.clear();
      await monque.getStats();
      const names = log.commandNames();
      console.log(`getStats on 3 names with due jobs: ${names.length} commands (${names.join(', ')})`);
      expect(names.filter((name) => name === 'aggregate')).toHaveLength(7);
      expect(names.filter((name) => name === 'find')).toHaveLength(3);
      expect(names).toHaveLength(10);
    } finally {
      await log.close();
    }
  });
});
