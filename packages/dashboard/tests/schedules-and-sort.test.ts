/**
 * The API of the new views over real HTTP: `GET schedules` and `POST schedules/:name/unschedule`,
 * the list's `sort` and `order`, and the `group` and `uniqueKey` filters.
 */
import type { Monque } from '@monque/core';
import type { Db } from 'mongodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDashboard } from '../src/index.js';
import { post, send, serve } from './helpers/http.js';
import { freshMonque, insertJobs, useDashboardDb } from './helpers/jobs.js';

const getDb = useDashboardDb(import.meta.url);

type JobJson = Record<string, unknown> & { _id: string; name: string; data: { n?: number } };

let db: Db;
let monque: Monque;
let api: string;

beforeAll(async () => {
  db = await getDb();
});

beforeEach(async () => {
  monque = freshMonque(db);
  api = `${(await serve(createDashboard({ monque }))).origin}/api`;
});

const collection = () => (monque as unknown as { options: { collectionName: string } }).options.collectionName;

describe('GET schedules', () => {
  it('lists the recurring jobs still scheduled, with the pause state', async () => {
    await monque.schedule('0 3 * * *', 'report', { kind: 'daily' }, { timezone: 'Europe/Berlin' });
    await monque.schedule('*/5 * * * *', 'cleanup', {}, { uniqueKey: 'tmp' });
    await monque.enqueue('report', { once: true });
    await monque.pause('cleanup');
    const { status, body } = await send<{ schedules: JobJson[]; paused: string[]; now: string }>(`${api}/schedules`);
    expect(status).toBe(200);
    expect(body.schedules.map((job) => [job.name, job.repeatInterval, job.timezone, job.uniqueKey ?? null])).toEqual([
      ['cleanup', '*/5 * * * *', 'UTC', 'tmp'],
      ['report', '0 3 * * *', 'Europe/Berlin', null],
    ]);
    expect(body.schedules[1]?.nextRunAt).toMatch(/^\d{4}-\d\d-\d\dT0[12]:00:00\.000Z$/);
    expect(body.paused).toEqual(['cleanup']);
    expect((await send(`${api}/schedules?name=report`)).status).toBe(400);
  });

  it('pages past the limit with nextCursor, and says when there is no more (none silently left out)', async () => {
    for (const [name, uniqueKey] of [
      ['a', undefined],
      ['a', 'k1'],
      ['a', 'k2'],
      ['b', undefined],
    ] as const) {
      await monque.schedule('0 3 * * *', name, {}, uniqueKey ? { uniqueKey } : {});
    }
    type Page = { schedules: JobJson[]; nextCursor: string | null };
    const seen: string[] = [];
    const pages: Array<string | null> = [];
    let cursor: string | null = null;
    do {
      const answer: { status: number; body: Page } = await send<Page>(
        `${api}/schedules?limit=2${cursor ? `&after=${cursor}` : ''}`,
      );
      expect(answer.status).toBe(200);
      seen.push(...answer.body.schedules.map((job) => `${job.name}/${job.uniqueKey ?? ''}`));
      cursor = answer.body.nextCursor;
      pages.push(cursor);
    } while (cursor && pages.length < 5);
    expect(seen).toEqual(['a/', 'a/k1', 'a/k2', 'b/']);
    // The second page is full, and nothing comes after it: no cursor to an empty page.
    expect(pages).toHaveLength(2);
    expect((await send<Page>(`${api}/schedules`)).body.nextCursor).toBeNull();
    for (const query of ['limit=0', 'limit=1001', 'limit=x', 'after=not-a-cursor', `after=${btoa('[1]')}`]) {
      expect((await send(`${api}/schedules?${query}`)).status, query).toBe(400);
    }
  });
});

describe('POST schedules/:name/unschedule', () => {
  it('removes one recurring job (by name and unique key), 404 for none, and nothing in read-only mode', async () => {
    await monque.schedule('*/5 * * * *', 'cleanup', {}, { uniqueKey: 'tmp' });
    await monque.schedule('0 * * * *', 'cleanup', {}, { uniqueKey: 'cache' });
    await monque.schedule('0 1 * * *', 'mail/digest', {});
    const readOnly = `${(await serve(createDashboard({ monque, readOnly: true }))).origin}/api`;
    expect((await post(`${readOnly}/schedules/cleanup/unschedule`, { uniqueKey: 'tmp' })).status).toBe(403);
    expect((await monque.getSchedules()).length).toBe(3);

    const removed = await post(`${api}/schedules/cleanup/unschedule`, { uniqueKey: 'tmp' });
    expect(removed.body).toEqual({ unscheduled: true });
    expect((await monque.getSchedules({ name: 'cleanup' })).map((job) => job.uniqueKey)).toEqual(['cache']);
    expect((await post(`${api}/schedules/${encodeURIComponent('mail/digest')}/unschedule`)).body).toEqual({
      unscheduled: true,
    });
    const missing = await post<{ error: string }>(`${api}/schedules/cleanup/unschedule`, { uniqueKey: 'tmp' });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('no recurring job "cleanup" with unique key "tmp"');
    expect((await post(`${api}/schedules/cleanup/unschedule`, { uniqueKey: 5 })).status).toBe(400);
    expect((await post(`${api}/schedules/cleanup/unschedule`, { key: 'cache' })).status).toBe(400);
    expect((await monque.getSchedules()).map((job) => job.uniqueKey)).toEqual(['cache']);
  });

  it('takes the name in the body too (POST schedules/unschedule), so "." and ".." can be unscheduled', async () => {
    await monque.schedule('0 4 * * *', '.', {});
    await monque.schedule('0 5 * * *', '..', {}, { uniqueKey: 'k' });
    // `schedules/./unschedule` arrives as `schedules/unschedule` (dot segments are dropped): no name, 400.
    for (const path of ['schedules/./unschedule', 'schedules/%2E/unschedule']) {
      const answer = await post<{ error: string }>(`${api}/${path}`, {});
      expect(answer.status, path).toBe(400);
      expect(answer.body.error, path).toMatch(/name/);
    }
    expect((await monque.getSchedules()).map((job) => job.name)).toEqual(['.', '..']);
    expect((await post(`${api}/schedules/unschedule`, { name: '.' })).body).toEqual({ unscheduled: true });
    expect((await post(`${api}/schedules/unschedule`, { name: '..' })).status).toBe(404);
    expect((await post(`${api}/schedules/unschedule`, { name: '..', uniqueKey: 'k' })).body).toEqual({
      unscheduled: true,
    });
    expect(await monque.getSchedules()).toEqual([]);
  });
});

describe('GET jobs: sort, order, group and unique key', () => {
  it('sorts by next run (soonest first, or latest with order=desc) and by finish time', async () => {
    const at = (minute: number) => new Date(Date.UTC(2025, 5, 10, 12, minute));
    await insertJobs(db, collection(), [
      { status: 'pending', nextRunAt: at(30), data: { n: 0 } },
      { status: 'completed', nextRunAt: at(10), finishedAt: at(50), data: { n: 1 } },
      { status: 'pending', nextRunAt: at(20), data: { n: 2 } },
      { status: 'failed', nextRunAt: at(40), finishedAt: at(45), data: { n: 3 } },
    ]);
    const order = async (query: string) =>
      (await send<{ jobs: JobJson[] }>(`${api}/jobs?${query}`)).body.jobs.map((job) => job.data.n);
    expect(await order('sort=nextRun')).toEqual([1, 2, 0, 3]);
    expect(await order('sort=nextRun&order=desc')).toEqual([3, 0, 2, 1]);
    expect(await order('sort=finished&status=completed,failed')).toEqual([1, 3]);
    expect(await order('sort=created&order=asc')).toEqual([0, 1, 2, 3]);
    const first = await send<{ jobs: JobJson[]; nextCursor: string }>(`${api}/jobs?sort=nextRun&limit=2`);
    const next = await order(`sort=nextRun&limit=2&cursor=${first.body.nextCursor}`);
    expect(next).toEqual([0, 3]);
    for (const query of ['sort=priority', 'order=asc', 'sort=nextRun&order=up', 'sort=nextRun&sort=created']) {
      expect((await send(`${api}/jobs?${query}`)).status, query).toBe(400);
    }
    expect((await send(`${api}/jobs?limit=2&cursor=${first.body.nextCursor}`)).status).toBe(400);
    expect((await send(`${api}/jobs/count?sort=nextRun`)).status).toBe(400);
  });

  it('filters by group and by unique key, in the list, the count and a bulk action', async () => {
    await monque.enqueue('call-api', { n: 1 }, { group: 'tenant-1' });
    await monque.enqueue('call-api', { n: 2 }, { group: 'tenant-2', uniqueKey: 'sync-2' });
    await monque.enqueue('call-api', { n: 3 });
    const list = await send<{ jobs: JobJson[] }>(`${api}/jobs?group=tenant-1`);
    expect(list.body.jobs.map((job) => [job.data.n, job.group])).toEqual([[1, 'tenant-1']]);
    expect((await send(`${api}/jobs/count?uniqueKey=sync-2`)).body).toEqual({ count: 1 });
    expect((await post(`${api}/jobs/cancel`, { group: 'tenant-2' })).body).toEqual({ count: 1 });
    expect((await post(`${api}/jobs/delete`, { group: '' })).status).toBe(400);
    expect((await post(`${api}/jobs/delete`, { group: { $ne: null } })).status).toBe(400);
    expect(await monque.countJobs({ status: 'cancelled' })).toBe(1);
  });
});
