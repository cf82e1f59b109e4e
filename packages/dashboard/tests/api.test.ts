/**
 * The JSON API over real HTTP, on the test backend: reads with every filter, keyset paging, the
 * single-job and bulk changes, pauses, and how errors are answered.
 */
import type { Job, Monque } from '@monque/core';
import type { Db } from 'mongodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDashboard } from '../src/index.js';
import { post, send, serve, type TestServer } from './helpers/http.js';
import { freshMonque, insertJobs, useDashboardDb } from './helpers/jobs.js';

const getDb = useDashboardDb(import.meta.url);

type JobJson = Record<string, unknown> & { _id: string; status: string; name: string };

let db: Db;
let monque: Monque;
let server: TestServer;
let api: string;

beforeAll(async () => {
  db = await getDb();
});

beforeEach(async () => {
  monque = freshMonque(db);
  server = await serve(createDashboard({ monque, basePath: '/admin/jobs' }));
  api = `${server.origin}/admin/jobs/api`;
});

const collectionOf = (m: Monque) =>
  db.collection<Job>((m as unknown as { options: { collectionName: string } }).options.collectionName);

describe('GET stats', () => {
  it('counts each name by status, with due jobs, the oldest due time and the pause state', async () => {
    const past = new Date(Date.now() - 90_000);
    await insertJobs(db, collectionOf(monque).collectionName, [
      { name: 'email', status: 'pending', nextRunAt: past },
      { name: 'email', status: 'pending', nextRunAt: new Date(Date.now() + 3_600_000) },
      { name: 'email', status: 'failed' },
      { name: 'report', status: 'completed' },
      { name: 'report', status: 'processing' },
      { name: 'report', status: 'cancelled' },
    ]);
    await monque.pause('report');
    const { status, body } = await send<{
      now: string;
      total: Record<string, number>;
      byName: Record<string, Record<string, unknown>>;
      paused: string[];
    }>(`${api}/stats`);
    expect(status).toBe(200);
    expect(body.total).toEqual({
      waiting: 0,
      pending: 2,
      due: 1,
      processing: 1,
      completed: 1,
      failed: 1,
      cancelled: 1,
    });
    expect(body.byName.email).toMatchObject({
      pending: 2,
      due: 1,
      failed: 1,
      paused: false,
      oldestDueAt: past.toISOString(),
    });
    expect(body.byName.report).toMatchObject({
      completed: 1,
      processing: 1,
      cancelled: 1,
      paused: true,
      oldestDueAt: null,
    });
    expect(body.paused).toEqual(['report']);
    expect(Number.isNaN(Date.parse(body.now))).toBe(false);
  });
});

describe('GET jobs', () => {
  it('returns jobs as JSON with string ids and ISO dates, filtered by name, status and data fields', async () => {
    const name = collectionOf(monque).collectionName;
    await insertJobs(db, name, [
      { name: 'invoice', status: 'failed', data: { customer: { id: 42 }, total: 10 } },
      { name: 'invoice', status: 'pending', data: { customer: { id: 42 }, total: 20 } },
      { name: 'invoice', status: 'failed', data: { customer: { id: '42' } } },
      { name: 'invoice', status: 'failed', data: { customer: { id: 7 } } },
      { name: 'email', status: 'failed', data: { customer: { id: 42 } } },
    ]);
    const numeric = await send<{ jobs: JobJson[] }>(`${api}/jobs?name=invoice&status=failed&data.customer.id=42`);
    expect(numeric.status).toBe(200);
    expect(numeric.body.jobs).toHaveLength(1);
    const [job] = numeric.body.jobs;
    expect(job?._id).toMatch(/^[0-9a-f]{24}$/);
    expect(job?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(job?.data).toEqual({ customer: { id: 42 }, total: 10 });

    const quoted = await send<{ jobs: JobJson[] }>(`${api}/jobs?data.customer.id=${encodeURIComponent('"42"')}`);
    expect(quoted.body.jobs.map((j) => j.data)).toEqual([{ customer: { id: '42' } }]);

    const several = await send<{ jobs: JobJson[] }>(`${api}/jobs?status=failed,pending&name=invoice&name=email`);
    expect(several.body.jobs).toHaveLength(5);

    const count = await send<{ count: number }>(`${api}/jobs/count?data.customer.id=42`);
    expect(count.body).toEqual({ count: 3 });
  });

  it('types booleans and null, and keeps other text as text', async () => {
    const name = collectionOf(monque).collectionName;
    await insertJobs(db, name, [
      { status: 'pending', data: { vip: true, note: null, city: 'Paris' } },
      { status: 'pending', data: { vip: 'true', note: 'null', city: 'Lyon' } },
    ]);
    const vip = await send<{ jobs: JobJson[] }>(`${api}/jobs?data.vip=true&data.note=null`);
    expect(vip.body.jobs.map((j) => (j.data as { city: string }).city)).toEqual(['Paris']);
    const text = await send<{ jobs: JobJson[] }>(`${api}/jobs?data.vip=%22true%22&data.city=Lyon`);
    expect(text.body.jobs.map((j) => (j.data as { city: string }).city)).toEqual(['Lyon']);
  });

  it('filters by creation time', async () => {
    const name = collectionOf(monque).collectionName;
    const old = new Date('2024-01-01T00:00:00Z');
    const recent = new Date('2024-06-01T00:00:00Z');
    await insertJobs(db, name, [
      { status: 'completed', createdAt: old, data: { n: 'old' } },
      { status: 'completed', createdAt: recent, data: { n: 'recent' } },
    ]);
    const after = await send<{ jobs: JobJson[] }>(`${api}/jobs?createdAfter=2024-03-01T00:00:00Z`);
    expect(after.body.jobs.map((j) => j.data)).toEqual([{ n: 'recent' }]);
    const before = await send<{ jobs: JobJson[] }>(`${api}/jobs?createdBefore=2024-03-01`);
    expect(before.body.jobs.map((j) => j.data)).toEqual([{ n: 'old' }]);
  });

  it('takes ISO 8601 times only: no epoch numbers, no rolled-over dates, no time without a zone', async () => {
    // `2025` was 2025 ms after 1970 here and the year 2025 in the CLI: now both refuse it.
    for (const text of ['2025', '1717200000000', '2025-02-30', '01/12/2025', '2025-06-01T12:00', 'June 1, 2025']) {
      const answer = await send<{ error: string }>(`${api}/jobs/count?createdAfter=${encodeURIComponent(text)}`);
      expect(answer.status, text).toBe(400);
      expect(answer.body.error, text).toMatch(/^createdAfter: .*ISO 8601/);
    }
    for (const body of [
      { name: 'x', createdBefore: 1717200000000 },
      { name: 'x', finishedBefore: '2025-02-30' },
    ]) {
      const answer = await post<{ error: string }>(`${api}/jobs/delete`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('pages newest first with an opaque cursor, without gaps or repeats', async () => {
    const name = collectionOf(monque).collectionName;
    const inserted = await insertJobs(
      db,
      name,
      Array.from({ length: 7 }, (_, index) => ({ status: 'pending' as const, data: { index } })),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `${api}/jobs?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page: { body: { jobs: JobJson[]; nextCursor: string | null } } = await send(url);
      seen.push(...page.body.jobs.map((job) => job._id));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual(inserted.map((job) => job._id.toHexString()).reverse());
    expect(pages).toBe(3);
  });

  it('refuses unknown filters, bad statuses, objects as values and bad limits with 400', async () => {
    for (const query of [
      'nmae=x',
      'status=done',
      'name[$ne]=x',
      `data.customer.id=${encodeURIComponent('{"$ne":null}')}`,
      `data.${encodeURIComponent('$where')}=1`,
      'data.a..b=1',
      'limit=0',
      'limit=ten',
      'createdAfter=yesterday',
      'cursor=not-a-cursor',
    ]) {
      const answer = await send<{ error: string }>(`${api}/jobs?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error, query).toEqual(expect.any(String));
    }
  });
});

describe('GET jobs/:id', () => {
  it('returns the job, 404 for an unknown id and 400 for anything that is not an id', async () => {
    const [job] = await insertJobs(db, collectionOf(monque).collectionName, [
      { status: 'failed', failReason: 'smtp down' },
    ]);
    const id = job?._id.toHexString() as string;
    const found = await send<{ job: JobJson }>(`${api}/jobs/${id}`);
    expect(found.status).toBe(200);
    expect(found.body.job).toMatchObject({ _id: id, status: 'failed', failReason: 'smtp down', failCount: 3 });
    expect((await send(`${api}/jobs/${'0'.repeat(24)}`)).status).toBe(404);
    expect((await send(`${api}/jobs/${encodeURIComponent('{"$ne":null}')}`)).status).toBe(400);
    expect((await send(`${api}/jobs/123`)).status).toBe(400);
  });
});

describe('GET jobs/:id/workflow', () => {
  it("a job's dependencies in order and its dependents, with their statuses, and its flow's progress", async () => {
    const tree = await monque.flow({
      name: 'report',
      data: {},
      children: [
        { name: 'fetch', data: { part: 1 } },
        { name: 'fetch', data: { part: 2 } },
      ],
    });
    const [first, second] = tree.children.map((child) => child.job._id.toHexString()) as [string, string];
    const root = tree.job._id.toHexString();
    await collectionOf(monque).updateOne({ _id: tree.children[0]?.job._id }, { $set: { status: 'completed' } });
    const notify = await monque.enqueue('notify', {}, { dependsOn: [tree.job._id] });
    type Workflow = {
      dependencies: JobJson[];
      dependencyCount: number;
      dependents: JobJson[];
      dependentCount: number;
      flow: { rootId: string; total: number; completed: number; byStatus: Record<string, number> } | null;
    };
    const { status, body } = await send<Workflow>(`${api}/jobs/${root}/workflow`);
    expect(status).toBe(200);
    expect(body.dependencies.map((job) => [job._id, job.status])).toEqual([
      [first, 'completed'],
      [second, 'pending'],
    ]);
    expect(body.dependencyCount).toBe(2);
    expect(body.dependents.map((job) => [job._id, job.name, job.status])).toEqual([
      [notify._id.toHexString(), 'notify', 'waiting'],
    ]);
    expect(body.dependentCount).toBe(1);
    expect(body.flow).toEqual({
      rootId: root,
      total: 3,
      completed: 1,
      byStatus: { waiting: 1, pending: 1, processing: 0, completed: 1, failed: 0, cancelled: 0 },
    });
    const leaf = await send<Workflow>(`${api}/jobs/${second}/workflow`);
    expect(leaf.body).toMatchObject({
      dependencies: [],
      dependencyCount: 0,
      dependentCount: 1,
      flow: { rootId: root },
    });
    const plain = await monque.enqueue('plain', {});
    expect((await send<Workflow>(`${api}/jobs/${plain._id.toHexString()}/workflow`)).body).toEqual({
      dependencies: [],
      dependencyCount: 0,
      dependents: [],
      dependentCount: 0,
      flow: null,
    });
    expect((await send(`${api}/jobs/${'0'.repeat(24)}/workflow`)).status).toBe(404);
  });
});

describe('POST jobs/:id/…', () => {
  it('retries a failed job (pending, due now, failCount 0) and answers 409 for a pending one', async () => {
    const [failed] = await insertJobs(db, collectionOf(monque).collectionName, [{ status: 'failed' }]);
    const id = failed?._id.toHexString() as string;
    const retried = await post<{ job: JobJson }>(`${api}/jobs/${id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.job).toMatchObject({ _id: id, status: 'pending', failCount: 0 });
    const again = await post<{ error: string }>(`${api}/jobs/${id}/retry`);
    expect(again.status).toBe(409);
    expect(again.body.error).toContain('pending');
  });

  it('cancels a pending job, asks a running one to stop, and answers 409 for a finished one', async () => {
    const [pending, running, done] = await insertJobs(db, collectionOf(monque).collectionName, [
      { status: 'pending' },
      { status: 'processing' },
      { status: 'completed' },
    ]);
    const cancelled = await post<{ job: JobJson }>(`${api}/jobs/${pending?._id.toHexString()}/cancel`, {
      reason: 'not needed',
    });
    expect(cancelled.body.job).toMatchObject({ status: 'cancelled', cancelReason: 'not needed' });
    const stopping = await post<{ job: JobJson }>(`${api}/jobs/${running?._id.toHexString()}/cancel`);
    expect(stopping.status).toBe(200);
    expect(stopping.body.job.cancelRequestedAt).toEqual(expect.any(String));
    expect((await post(`${api}/jobs/${done?._id.toHexString()}/cancel`)).status).toBe(409);
    expect((await post(`${api}/jobs/${pending?._id.toHexString()}/cancel`, { reason: 5 })).status).toBe(400);
  });

  it('reschedules a pending job to a time or to now (run now)', async () => {
    const later = new Date(Date.now() + 86_400_000);
    const [job] = await insertJobs(db, collectionOf(monque).collectionName, [{ status: 'pending', nextRunAt: later }]);
    const id = job?._id.toHexString() as string;
    const at = '2030-01-02T03:04:05.000Z';
    const moved = await post<{ job: JobJson }>(`${api}/jobs/${id}/reschedule`, { runAt: at });
    expect(moved.body.job.nextRunAt).toBe(at);
    const before = Date.now();
    const now = await post<{ job: JobJson }>(`${api}/jobs/${id}/reschedule`, { runAt: 'now' });
    expect(Date.parse(now.body.job.nextRunAt as string)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(now.body.job.nextRunAt as string)).toBeLessThanOrEqual(Date.now() + 1000);
    expect((await post(`${api}/jobs/${id}/reschedule`, { runAt: 'soon' })).status).toBe(400);
    expect((await post(`${api}/jobs/${id}/reschedule`, { when: at })).status).toBe(400);
  });

  it('deletes a job once (404 after), and refuses to delete a running one', async () => {
    const [job, running] = await insertJobs(db, collectionOf(monque).collectionName, [
      { status: 'completed' },
      { status: 'processing' },
    ]);
    const id = job?._id.toHexString() as string;
    expect((await post(`${api}/jobs/${id}/delete`)).body).toEqual({ deleted: true });
    expect((await post(`${api}/jobs/${id}/delete`)).status).toBe(404);
    expect((await post(`${api}/jobs/${running?._id.toHexString()}/delete`)).status).toBe(409);
    expect(await collectionOf(monque).countDocuments({ _id: running?._id })).toBe(1);
  });
});

describe('bulk POST jobs/{retry|cancel|delete}', () => {
  it('acts on every job matching the filters in the body', async () => {
    const name = collectionOf(monque).collectionName;
    await insertJobs(db, name, [
      { name: 'invoice', status: 'failed', data: { customer: { id: 42 } } },
      { name: 'invoice', status: 'failed', data: { customer: { id: 42 } } },
      { name: 'invoice', status: 'failed', data: { customer: { id: 7 } } },
      { name: 'invoice', status: 'pending', data: { customer: { id: 7 } } },
    ]);
    const retried = await post(`${api}/jobs/retry`, { name: 'invoice', data: { 'customer.id': 42 } });
    expect(retried.body).toEqual({ count: 2 });
    expect(await collectionOf(monque).countDocuments({ status: 'failed' })).toBe(1);

    const cancelled = await post(`${api}/jobs/cancel`, { status: ['pending'], reason: 'bulk' });
    expect(cancelled.body).toEqual({ count: 3 });

    const deleted = await post(`${api}/jobs/delete`, { status: 'cancelled', name: ['invoice'] });
    expect(deleted.body).toEqual({ count: 3 });
    expect(await collectionOf(monque).countDocuments({})).toBe(1);
  });

  it('names the field of an operator or object given as a data value (checked before Monque sees it)', async () => {
    for (const value of [{ $ne: null }, [1], { nested: 1 }]) {
      const answer = await post<{ error: string }>(`${api}/jobs/retry`, { data: { 'customer.id': value } });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(/^data\.customer\.id: .*operators are refused/);
    }
  });

  it('refuses operators, objects, unknown filters and bad types with 400, changing nothing', async () => {
    const name = collectionOf(monque).collectionName;
    await insertJobs(db, name, [
      { status: 'failed', data: { a: 1 } },
      { status: 'completed', data: { a: 2 } },
    ]);
    for (const body of [
      { data: { a: { $ne: null } } },
      { data: { a: [1] } },
      { data: { $where: 'true' } },
      { name: { $ne: null } },
      { status: { $in: ['failed'] } },
      { uniqueKey: { $gt: '' } },
      { nmae: 'typo' },
      { createdAfter: 'yesterday' },
      { data: 'a=1' },
    ]) {
      const answer = await post(`${api}/jobs/delete`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    expect(await collectionOf(monque).countDocuments({})).toBe(2);
  });
});

describe('pause and resume', () => {
  it('pauses and resumes one name, and every name', async () => {
    const paused = await post<{ paused: string[] }>(`${api}/queues/${encodeURIComponent('mail/outbound')}/pause`);
    expect(paused.body.paused).toEqual(['mail/outbound']);
    expect(await monque.getPaused()).toEqual(['mail/outbound']);
    expect((await send(`${api}/paused`)).body).toEqual({ paused: ['mail/outbound'] });
    await post(`${api}/queues/${encodeURIComponent('mail/outbound')}/resume`);
    expect(await monque.getPaused()).toEqual([]);
    expect((await post(`${api}/queues/pause`, { all: true })).body).toEqual({ paused: 'all' });
    expect((await post(`${api}/queues/resume`, { all: true })).body).toEqual({ paused: [] });
  });

  it('takes the name in the body too, so the names "." and ".." work; a dot segment never means every name', async () => {
    await monque.pause('send-email');
    // URL parsers drop `.` and `..` segments (also as %2E) before the server sees the path: these
    // arrive as queues/pause and queues/resume, which need a name or "all" in the body.
    for (const path of ['queues/./pause', 'queues/%2E/pause', 'queues/%2e/resume', 'queues/x/%2E%2E/resume']) {
      const answer = await post<{ error: string }>(`${api}/${path}`, {});
      expect(answer.status, path).toBe(400);
      expect(answer.body.error, path).toMatch(/name.*all/);
      expect(await monque.getPaused(), path).toEqual(['send-email']);
    }
    expect((await post(`${api}/queues/pause`, { name: '.' })).body).toEqual({ paused: ['.', 'send-email'] });
    expect((await post(`${api}/queues/pause`, { name: '..' })).body).toEqual({ paused: ['.', '..', 'send-email'] });
    expect((await post(`${api}/queues/resume`, { name: '.' })).body).toEqual({ paused: ['..', 'send-email'] });
    for (const body of [{ name: '' }, { name: 5 }, { name: 'a', all: true }, { all: false }, { names: ['a'] }]) {
      const answer = await post(`${api}/queues/pause`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
    }
    expect(await monque.getPaused()).toEqual(['..', 'send-email']);
  });
});

describe('GET throughput and config', () => {
  it('returns one bucket per minute of the last hour', async () => {
    const { status, body } = await send<{ buckets: Array<{ minute: string; completed: number; failed: number }> }>(
      `${api}/throughput`,
    );
    expect(status).toBe(200);
    expect(body.buckets).toHaveLength(60);
    expect(body.buckets[0]).toEqual({ minute: expect.any(String), completed: 0, failed: 0 });
    expect((await send(`${api}/throughput?minutes=5`)).body.buckets).toHaveLength(5);
    expect((await send(`${api}/throughput?minutes=0`)).status).toBe(400);
    expect((await send(`${api}/throughput?bucket=1`)).status).toBe(400);
  });

  it('tells the UI whether it is read-only', async () => {
    expect((await send(`${api}/config`)).body).toEqual({ readOnly: false });
  });

  it('answers 404 for an unknown route and 405 for a known path with the wrong method', async () => {
    expect((await send(`${api}/nothing`)).status).toBe(404);
    const wrong = await send(`${api}/stats`, { method: 'POST', json: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });
});

describe('errors and the db option', () => {
  it('makes its own Monque from a db (and collectionName), never started', async () => {
    const name = collectionOf(monque).collectionName;
    await insertJobs(db, name, [{ name: 'email', status: 'failed' }]);
    const own = await serve(createDashboard({ db, collectionName: name }));
    const stats = await send<{ total: { failed: number } }>(`${own.origin}/api/stats`);
    expect(stats.body.total.failed).toBe(1);
  });

  it('answers 503 when the database cannot be reached, without driver details', async () => {
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient('mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300');
    try {
      const down = await serve(createDashboard({ db: client.db('nowhere') }));
      const answer = await send<{ error: string }>(`${down.origin}/api/stats`);
      expect(answer.status).toBe(503);
      expect(answer.body.error).toBe('the database cannot be reached; try again shortly');
    } finally {
      await client.close();
    }
  });

  it('answers 500 without the message for an unexpected error, and reports it to onError', async () => {
    const reported: unknown[] = [];
    const broken = {
      ...monque,
      getStats: async () => {
        throw new TypeError('secret internals at /srv/app');
      },
      getPaused: async () => [],
    } as unknown as Monque;
    const server500 = await serve(createDashboard({ monque: broken, onError: (error) => reported.push(error) }));
    const answer = await send(`${server500.origin}/api/stats`);
    expect(answer.status).toBe(500);
    expect(answer.text).not.toContain('secret');
    expect(reported).toEqual([expect.any(TypeError)]);
  });

  it('rejects bad options when created, naming them', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /give monque .* or db/],
      [{ monque, db }, /not both/],
      [{ monque, basePath: '/a?b' }, /basePath/],
      [{ monque, bodyLimit: 10 }, /bodyLimit/],
      [{ monque, authorize: 'yes' }, /authorize/],
      [{ monque, allowedHosts: 'localhost' }, /allowedHosts/],
      [{ monque, trustedOrigins: ['not a url'] }, /trustedOrigins/],
    ];
    for (const [options, message] of cases) {
      expect(() => createDashboard(options as Parameters<typeof createDashboard>[0]), String(message)).toThrow(message);
    }
  });
});
