/**
 * Bulk actions over HTTP must say what they select: filters, the ids of selected jobs, or
 * `{ "all": true }`. Anything that selects nothing (an empty body, `null`, `{}`, `{ "data": {} }`,
 * a cancel with only a reason, empty arrays) is a 400 that names the problem, and nothing changes.
 */
import type { Job, Monque } from '@monque/core';
import type { Db } from 'mongodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDashboard } from '../src/index.js';
import { post, send, serve } from './helpers/http.js';
import { freshMonque, insertJobs, useDashboardDb } from './helpers/jobs.js';

const getDb = useDashboardDb(import.meta.url);

let db: Db;
let monque: Monque;
let api: string;
let seeded: Job[];

beforeAll(async () => {
  db = await getDb();
});

beforeEach(async () => {
  monque = freshMonque(db);
  api = `${(await serve(createDashboard({ monque }))).origin}/api`;
  seeded = await insertJobs(db, collectionName(), [
    { name: 'email', status: 'failed', data: { customer: { id: 7 } } },
    { name: 'email', status: 'failed', data: { customer: { id: 42 } } },
    { name: 'report', status: 'pending', data: { customer: { id: 42 } } },
    { name: 'report', status: 'completed', data: { customer: { id: 7 } } },
  ]);
});

function collectionName(): string {
  return (monque as unknown as { options: { collectionName: string } }).options.collectionName;
}

const jobs = () => db.collection<Job>(collectionName());

/** Every job's status, by id: to check that nothing changed. */
async function snapshot(): Promise<Record<string, string>> {
  const docs = await jobs().find({}).toArray();
  return Object.fromEntries(docs.map((doc) => [doc._id.toHexString(), doc.status]));
}

describe('a bulk action that selects nothing', () => {
  it('is a 400 naming the problem for an empty body, null, {}, { data: {} } or a cancel with only a reason', async () => {
    const before = await snapshot();
    const cases: Array<[string, string | undefined]> = [
      ['delete', undefined],
      ['delete', ''],
      ['delete', 'null'],
      ['delete', '{}'],
      ['delete', '{"data":{}}'],
      ['retry', '{}'],
      ['retry', '{"data":{}}'],
      ['cancel', '{}'],
      ['cancel', '{"reason":"cleanup"}'],
      ['delete', '{"status":[]}'],
      ['delete', '{"name":[]}'],
      ['delete', '{"ids":[]}'],
    ];
    for (const [action, body] of cases) {
      const answer = await send<{ error: string }>(`${api}/jobs/${action}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body }),
      });
      const label = `${action} ${body ?? '(no body)'}`;
      expect(answer.status, label).toBe(400);
      expect(answer.body.error, label).toMatch(/all|select|empty/i);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses "all" that is not true, and "all" together with filters or ids', async () => {
    const before = await snapshot();
    for (const body of [
      { all: false },
      { all: 'yes' },
      { all: 1 },
      { all: true, name: 'email' },
      { all: true, data: { 'customer.id': 42 } },
      { all: true, ids: [seeded[0]?._id.toHexString()] },
      { ids: [seeded[0]?._id.toHexString()], name: 'email' },
    ]) {
      const answer = await post<{ error: string }>(`${api}/jobs/delete`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('{ "all": true }', () => {
  it('acts on every job, for each action', async () => {
    expect((await post(`${api}/jobs/retry`, { all: true })).body).toEqual({ count: 2 });
    expect((await post(`${api}/jobs/cancel`, { all: true, reason: 'shutting down' })).body).toEqual({ count: 3 });
    expect(await jobs().countDocuments({ cancelReason: 'shutting down' })).toBe(3);
    expect((await post(`${api}/jobs/delete`, { all: true })).body).toEqual({ count: 4 });
    expect(await jobs().countDocuments({})).toBe(0);
  });
});

describe('{ "ids": [...] }: the jobs selected in the list', () => {
  it('acts on exactly those jobs, with the same state rules as the filters', async () => {
    const [first, second, pending, completed] = seeded as [Job, Job, Job, Job];
    const retried = await post(`${api}/jobs/retry`, {
      ids: [first._id.toHexString(), completed._id.toHexString()],
    });
    expect(retried.body).toEqual({ count: 1 });
    expect((await jobs().findOne({ _id: first._id }))?.status).toBe('pending');
    expect((await jobs().findOne({ _id: second._id }))?.status).toBe('failed');
    const deleted = await post(`${api}/jobs/delete`, {
      ids: [second._id.toHexString(), pending._id.toHexString()],
    });
    expect(deleted.body).toEqual({ count: 2 });
    expect(await jobs().countDocuments({})).toBe(2);
  });

  it('refuses ids that are not job ids, duplicates, and more than 500, changing nothing', async () => {
    const before = await snapshot();
    const id = seeded[0]?._id.toHexString() as string;
    for (const ids of [
      'abc',
      [{ $ne: null }],
      ['nope'],
      [id, id],
      Array.from({ length: 501 }, (_, index) => index.toString(16).padStart(24, '0')),
    ]) {
      const answer = await post<{ error: string }>(`${api}/jobs/delete`, { ids });
      expect(answer.status, JSON.stringify(ids).slice(0, 60)).toBe(400);
      expect(answer.body.error).toMatch(/^ids/);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('GET stats', () => {
  it('lists a paused name that has no jobs, with zero counts', async () => {
    await monque.pause('nightly-export');
    const { body } = await send<{ byName: Record<string, Record<string, unknown>> }>(`${api}/stats`);
    expect(body.byName['nightly-export']).toEqual({
      pending: 0,
      due: 0,
      waiting: 0,
      processing: 0,
      limited: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
      oldestDueAt: null,
      paused: true,
    });
    expect(body.byName.email).toMatchObject({ failed: 2, paused: false });
  });
});
