/**
 * Keys that come from users or from the database (data paths, job names, JSON keys) are ordinary
 * keys everywhere, even when they are named like a member of every JavaScript object (`__proto__`,
 * `constructor`, `toString`): a data filter on `__proto__` matches the jobs whose data has that
 * field, never every job; such names are listed and counted; data holding such keys is shown as
 * stored. (Assigning them to a plain object once dropped a `__proto__` filter silently, so a bulk
 * delete selected more jobs than its filter said.)
 */
import type { Job, Monque } from '@monque/core';
import type { Db } from 'mongodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDashboard } from '../src/index.js';
import { cliOn } from './helpers/cli.js';
import { post, send, serve } from './helpers/http.js';
import { freshMonque, insertJobs, useDashboardDb } from './helpers/jobs.js';

const getDb = useDashboardDb(import.meta.url);

let db: Db;
let monque: Monque;
let api: string;
let collection: string;

beforeAll(async () => {
  db = await getDb();
});

beforeEach(async () => {
  monque = freshMonque(db);
  collection = (monque as unknown as { options: { collectionName: string } }).options.collectionName;
  api = `${(await serve(createDashboard({ monque }))).origin}/api`;
});

const cli = cliOn(
  () => db.databaseName,
  () => collection,
);
const jobs = () => db.collection<Job>(collection);

/** Data with an own `__proto__` field, as `JSON.parse` and the driver make it. */
const protoData = (value: unknown): Record<string, unknown> => JSON.parse(`{"__proto__":${JSON.stringify(value)}}`);

describe('a data filter on a field named __proto__', () => {
  beforeEach(async () => {
    await insertJobs(db, collection, [
      { name: 'a', status: 'failed', data: { k: 1 } },
      { name: 'a', status: 'failed', data: { k: 2 } },
      { name: 'a', status: 'failed', data: { k: 3 } },
      { name: 'a', status: 'failed', data: protoData(5) },
      { name: 'b', status: 'failed', data: { k: 9 } },
    ]);
  });

  it('the API lists, counts and deletes only the jobs whose data has it, never every job', async () => {
    const count = await send<{ count: number }>(`${api}/jobs/count?name=a&data.__proto__=5`);
    expect(count.body).toEqual({ count: 1 });
    const list = await send<{ jobs: Array<{ data: unknown }> }>(`${api}/jobs?name=a&data.__proto__=5`);
    expect(list.body.jobs.map((job) => JSON.stringify(job.data))).toEqual(['{"__proto__":5}']);
    expect((await send<{ count: number }>(`${api}/jobs/count?data.__proto__=6`)).body).toEqual({ count: 0 });

    const none = await post(`${api}/jobs/delete`, JSON.parse('{"name":"a","data":{"__proto__":6}}'));
    expect(none.body).toEqual({ count: 0 });
    const one = await send(`${api}/jobs/delete`, { method: 'POST', json: JSON.parse('{"data":{"__proto__":5}}') });
    expect(one.body).toEqual({ count: 1 });
    expect(await jobs().countDocuments({})).toBe(4);
  });

  it('the CLI lists and deletes only the jobs whose data has it', async () => {
    const list = await cli('list', '--data', '__proto__=5', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).jobs).toHaveLength(1);
    const none = await cli('delete', '--data', '__proto__=6');
    expect(none).toMatchObject({ code: 0, stdout: 'deleted 0 jobs\n' });
    expect(await jobs().countDocuments({})).toBe(5);
    const one = await cli('delete', '--name', 'a', '--data', '__proto__=5');
    expect(one).toMatchObject({ code: 0, stdout: 'deleted 1 job\n' });
    expect(await jobs().countDocuments({})).toBe(4);
  });

  it('the same data path given twice is refused, not decided by order (API and CLI)', async () => {
    const twice = await send<{ error: string }>(`${api}/jobs/count?data.k=1&data.k=2`);
    expect(twice.status).toBe(400);
    expect(twice.body.error).toMatch(/data\.k.*twice/);
    const cliTwice = await cli('delete', '--data', 'k=1', '--data', 'k=2');
    expect(cliTwice.code).toBe(2);
    expect(cliTwice.stderr).toMatch(/k.*twice/);
    expect(await jobs().countDocuments({})).toBe(5);
  });

  it('data holding a __proto__ key is shown as stored, by the API and by show', async () => {
    const [job] = await insertJobs(db, collection, [
      { name: 'raw', status: 'pending', data: { ...protoData({ secret: 1 }), visible: 2 } },
    ]);
    const id = job?._id.toHexString() as string;
    const answer = await send(`${api}/jobs/${id}`);
    expect(answer.text).toContain('"data":{"__proto__":{"secret":1},"visible":2}');
    const shown = await cli('show', id);
    expect(shown.stdout).toContain('"__proto__": {\n    "secret": 1\n  },\n  "visible": 2');
    const json = await cli('show', id, '--json');
    expect(json.stdout).toContain('"__proto__": {');
  });
});

describe('names like members of every object', () => {
  it('GET stats lists a job named __proto__ and paused names such as constructor or toString', async () => {
    await insertJobs(db, collection, [
      { name: '__proto__', status: 'pending' },
      { name: '__proto__', status: 'failed' },
      { name: 'visible', status: 'pending' },
    ]);
    await monque.pause('constructor');
    await monque.pause('toString');
    await monque.pause('__proto__');
    const { body } = await send<{ byName: Record<string, Record<string, unknown>>; paused: string[] }>(`${api}/stats`);
    expect(Object.keys(body.byName).sort()).toEqual(['__proto__', 'constructor', 'toString', 'visible']);
    expect(Object.getOwnPropertyDescriptor(body.byName, '__proto__')?.value).toMatchObject({
      pending: 1,
      failed: 1,
      paused: true,
    });
    expect(Object.getOwnPropertyDescriptor(body.byName, 'constructor')?.value).toMatchObject({
      pending: 0,
      paused: true,
    });
    expect(body.byName.toString).toMatchObject({ pending: 0, paused: true });
    expect(body.byName.visible).toMatchObject({ pending: 1, paused: false });
  });
});
