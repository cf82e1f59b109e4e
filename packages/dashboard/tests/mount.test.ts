/**
 * The mount examples of the docs (examples/*.ts), run for real: node:http, Express, Fastify
 * (through @fastify/middie) and Ts.ED. Each serves the page and the API under its path, lets the
 * app's other routes work, and keeps the guards (a form post is refused, nothing changes).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Job, Monque } from '@monque/core';
import type { Db } from 'mongodb';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../examples/express.js';
import { createFastifyApp } from '../examples/fastify.js';
import { createAdminServer } from '../examples/node-http.js';
import { type Answer, post, send, serve } from './helpers/http.js';
import { freshMonque, insertJobs, useDashboardDb } from './helpers/jobs.js';

const getDb = useDashboardDb(import.meta.url);

let db: Db;
let monque: Monque;
let failed: Job;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  db = await getDb();
});

beforeEach(async () => {
  monque = freshMonque(db);
  const collection = (monque as unknown as { options: { collectionName: string } }).options.collectionName;
  [failed] = (await insertJobs(db, collection, [{ name: 'email', status: 'failed' }])) as [Job];
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The checks every mount must pass, with `headers` added to each request (credentials). */
async function checkMounted(base: string, headers: Record<string, string> = {}, readOnly = false): Promise<void> {
  const redirect = await send(base, { headers });
  expect(redirect.status).toBe(308);
  expect(redirect.headers.get('location')).toBe(`${new URL(base).pathname}/`);
  const page = await send(`${base}/`, { headers });
  expect(page.status).toBe(200);
  expect(page.text).toContain('<div id="app">');
  const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.text)?.[1];
  expect((await send(`${base}/${script}`, { headers })).status).toBe(200);
  const stats: Answer<{ total: { failed: number } }> = await send(`${base}/api/stats`, { headers });
  expect(stats.status).toBe(200);
  expect(stats.body.total.failed).toBe(1);
  expect(stats.headers.get('content-security-policy')).toContain("default-src 'self'");
  const id = failed._id.toHexString();
  const form = await send(`${base}/api/jobs/${id}/retry`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'x=1',
  });
  expect(form.status).toBe(readOnly ? 403 : 415);
  expect((await monque.getJob(id))?.status).toBe('failed');
  const retried = await post(`${base}/api/jobs/${id}/retry`, {}, headers);
  expect(retried.status).toBe(readOnly ? 403 : 200);
  expect((await monque.getJob(id))?.status).toBe(readOnly ? 'failed' : 'pending');
}

describe('mounting', () => {
  it('node:http, with a basePath', async () => {
    const origin = await listen(createAdminServer(monque));
    await checkMounted(`${origin}/jobs`);
    expect((await send(`${origin}/elsewhere`)).text).toBe('not found');
  });

  it('Express, under a mount path, behind basic authentication a browser can answer', async () => {
    const origin = await listen(createServer(createApp(monque, { user: 'ops', password: 's3cret' })));
    const basic = (credentials: string) => ({ Authorization: `Basic ${Buffer.from(credentials).toString('base64')}` });
    await checkMounted(`${origin}/admin/jobs`, basic('ops:s3cret'));
    for (const headers of [{}, basic('ops:wrong'), basic('ops:s3cret-and-more'), { Authorization: 'Bearer s3cret' }]) {
      const refused = await send(`${origin}/admin/jobs/api/stats`, { headers });
      expect(refused.status, JSON.stringify(headers)).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    }
    // With authorize, any Host is answered (the check is the password).
    const elsewhere = await send(`${origin}/admin/jobs/api/stats`, {
      headers: { ...basic('ops:s3cret'), Host: 'jobs.example.com' },
    });
    expect(elsewhere.status).toBe(200);
    expect((await send(`${origin}/`)).text).toBe('the app');
  });

  it('without authorize, refuses a Host that is not a loopback name (DNS rebinding) in every example', async () => {
    const fastify = await createFastifyApp(monque);
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => fastify.close());
    const fastifyOrigin = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
    const httpOrigin = await listen(createAdminServer(monque));
    for (const url of [`${fastifyOrigin}/admin/jobs/api/stats`, `${httpOrigin}/jobs/api/stats`]) {
      expect((await send(url, { headers: { Host: 'rebound.example' } })).status, url).toBe(421);
      expect((await send(url, { headers: { Host: 'localhost' } })).status, url).toBe(200);
    }
  });

  it('Express, with express.json() parsing the body first', async () => {
    const { createDashboard } = await import('../src/index.js');
    const express = (await import('express')).default;
    const app = express();
    app.use(express.json(), express.urlencoded({ extended: false }));
    app.use('/q', createDashboard({ monque }));
    const origin = await listen(createServer(app));
    await checkMounted(`${origin}/q`);
    const pause = await post<{ paused: string[] }>(`${origin}/q/api/queues/email/pause`);
    expect(pause.body.paused).toEqual(['email']);
    const tooBig = await post(`${origin}/q/api/jobs/cancel`, { status: 'pending', reason: 'x'.repeat(20_000) });
    expect(tooBig.status).toBe(413);
    // Sent in chunks, without Content-Length: express.json() read it (under its own 100 kB limit),
    // so the dashboard cannot measure it. It is refused rather than let past bodyLimit.
    const chunked = { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' };
    for (const body of [`{"name":"email"${' '.repeat(60_000)}}`, '{"name":"email"}']) {
      const answer = await send<{ error: string }>(`${origin}/q/api/jobs/delete`, {
        method: 'POST',
        headers: chunked,
        body,
      });
      expect(answer.status, `${body.length} bytes`).toBe(411);
      expect(answer.body.error).toMatch(/Content-Length/);
    }
    expect(await monque.countJobs({ name: 'email' })).toBe(1);
  });

  it('Fastify through @fastify/middie, read-only', async () => {
    const app = await createFastifyApp(monque);
    await app.listen({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => app.close());
    const { port } = app.server.address() as AddressInfo;
    const origin = `http://127.0.0.1:${port}`;
    await checkMounted(`${origin}/admin/jobs`, {}, true);
    expect((await send(`${origin}/`)).text).toBe('the app');
  });

  it('Ts.ED (Express platform), with Monque provided to the injector', async () => {
    const { PlatformExpress } = await import('@tsed/platform-express');
    const { Monque: MonqueClass } = await import('@monque/core');
    const { Server: TsedServer } = await import('../examples/tsed.js');
    const platform = await PlatformExpress.bootstrap(TsedServer, {
      imports: [{ token: MonqueClass, use: monque }],
    });
    cleanups.push(() => platform.stop());
    const server = await serve(platform.callback());
    await checkMounted(`${server.origin}/admin/jobs`);
  });
});
