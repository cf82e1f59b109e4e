/**
 * The dashboard's guards, each with a request that only the guard stops (and, where a change was
 * attempted, a check that nothing changed): read-only mode, authorize, JSON-only POST changes,
 * the origin checks, the body limit, the Host allow-list, the security headers and the static
 * file boundary.
 */

import { request } from 'node:http';
import type { Job, Monque } from '@monque/core';
import type { Db, ObjectId } from 'mongodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, createDashboard, type DashboardOptions } from '../src/index.js';
import { post, send, serve } from './helpers/http.js';
import { freshMonque, insertJobs, useDashboardDb } from './helpers/jobs.js';

const getDb = useDashboardDb(import.meta.url);

let db: Db;
let monque: Monque;
let failedId: ObjectId;

beforeAll(async () => {
  db = await getDb();
});

beforeEach(async () => {
  monque = freshMonque(db);
  const [failed] = await insertJobs(db, collectionName(), [{ name: 'email', status: 'failed' }]);
  failedId = (failed as Job)._id;
});

function collectionName(): string {
  return (monque as unknown as { options: { collectionName: string } }).options.collectionName;
}

async function statusOfFailedJob(): Promise<string | undefined> {
  return (await db.collection<Job>(collectionName()).findOne({ _id: failedId }))?.status;
}

async function dashboard(settings: Omit<DashboardOptions, 'monque' | 'db'> = {}) {
  const server = await serve(createDashboard({ monque, ...settings } as DashboardOptions));
  return { origin: server.origin, api: `${server.origin}/api`, host: new URL(server.origin).host };
}

describe('readOnly', () => {
  it('refuses every change with 403 and still serves reads', async () => {
    const { api } = await dashboard({ readOnly: true });
    const refused = await post<{ error: string }>(`${api}/jobs/${failedId.toHexString()}/retry`);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toContain('read-only');
    expect((await post(`${api}/jobs/retry`, { status: 'failed' })).status).toBe(403);
    expect((await post(`${api}/queues/email/pause`)).status).toBe(403);
    expect(await statusOfFailedJob()).toBe('failed');
    expect(await monque.getPaused()).toEqual([]);
    expect((await send(`${api}/stats`)).status).toBe(200);
    expect((await send(`${api}/config`)).body).toEqual({ readOnly: true });
  });
});

describe('authorize', () => {
  it('is asked for every request (API, page and assets); false answers 403', async () => {
    const seen: string[] = [];
    const { origin, api } = await dashboard({
      authorize: (req) => {
        seen.push(req.url ?? '');
        return req.headers.authorization === 'Bearer letmein';
      },
    });
    const page = await send(`${origin}/`, { headers: { authorization: 'Bearer letmein' } });
    expect(page.status).toBe(200);
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    for (const url of [
      `${origin}/`,
      `${origin}/${script}`,
      `${api}/stats`,
      `${origin}/favicon.svg`,
      `${origin}/nothing`,
    ]) {
      const answer = await send(url);
      expect(answer.status, url).toBe(403);
      expect(answer.text, url).not.toContain('<script');
    }
    expect((await send(`${api}/stats`, { headers: { authorization: 'Bearer letmein' } })).status).toBe(200);
    const refusedChange = await post(`${api}/jobs/${failedId.toHexString()}/retry`);
    expect(refusedChange.status).toBe(403);
    expect(await statusOfFailedJob()).toBe('failed');
    expect(seen).toEqual([
      '/',
      '/',
      `/${script}`,
      '/api/stats',
      '/favicon.svg',
      '/nothing',
      '/api/stats',
      `/api/jobs/${failedId.toHexString()}/retry`,
    ]);
  });

  it('may be async and ask for credentials with 401', async () => {
    const { api } = await dashboard({
      authorize: async (req, res) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (req.headers.authorization === `Basic ${Buffer.from('ops:secret').toString('base64')}`) return true;
        res.statusCode = 401;
        res.setHeader('WWW-Authenticate', 'Basic realm="monque"');
        return false;
      },
    });
    const refused = await send(`${api}/stats`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Basic realm="monque"');
    const allowed = await send(`${api}/stats`, {
      headers: { authorization: `Basic ${Buffer.from('ops:secret').toString('base64')}` },
    });
    expect(allowed.status).toBe(200);
  });

  it('leaves the answer alone when the hook wrote it', async () => {
    const { api } = await dashboard({
      authorize: (_req, res) => {
        res.statusCode = 302;
        res.setHeader('Location', '/login');
        res.end();
        return false;
      },
    });
    const answer = await send(`${api}/stats`);
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe('/login');
  });

  it('answers 500 without details when the hook throws', async () => {
    const reported: unknown[] = [];
    const { api } = await dashboard({
      authorize: () => {
        throw new Error('token store exploded at 10.0.0.5');
      },
      onError: (error) => reported.push(error),
    });
    const answer = await send(`${api}/stats`);
    expect(answer.status).toBe(500);
    expect(answer.text).not.toContain('10.0.0.5');
    expect(reported).toHaveLength(1);
  });
});

describe('changes need POST with a JSON body', () => {
  it('refuses a form post (urlencoded, multipart, text/plain) with 415 and changes nothing', async () => {
    const { api } = await dashboard();
    const url = `${api}/jobs/${failedId.toHexString()}/retry`;
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain']) {
      const answer = await send(url, { method: 'POST', headers: { 'Content-Type': type }, body: 'a=1' });
      expect(answer.status, type).toBe(415);
    }
    expect((await send(url, { method: 'POST' })).status).toBe(415);
    expect(await statusOfFailedJob()).toBe('failed');
    expect((await post(url, {})).status).toBe(200);
  });

  it('refuses GET on a change with 405', async () => {
    const { api } = await dashboard();
    const answer = await send(`${api}/jobs/${failedId.toHexString()}/retry`);
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('POST');
    expect(await statusOfFailedJob()).toBe('failed');
  });

  it('refuses a body that is not a JSON object with 400', async () => {
    const { api } = await dashboard();
    for (const body of ['{not json', '[1,2]', '"text"']) {
      const answer = await send(`${api}/jobs/retry`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      expect(answer.status, body).toBe(400);
    }
    expect(await statusOfFailedJob()).toBe('failed');
  });

  it('answers 413 from the declared length, without waiting for the body', async () => {
    const { api } = await dashboard({ bodyLimit: 1024 });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${api}/jobs/cancel`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': '10000000' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write('{"status":');
    });
    expect(status).toBe(413);
  });

  it('stops reading a body that never ends once it passes the limit', async () => {
    const { api } = await dashboard({ bodyLimit: 1024 });
    const { status, written } = await new Promise<{ status: number; written: number }>((resolve, reject) => {
      let written = 0;
      let answered = false;
      const req = request(`${api}/jobs/cancel`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      });
      req.on('response', (res) => {
        answered = true;
        res.resume();
        resolve({ status: res.statusCode ?? 0, written });
        req.destroy();
      });
      req.on('error', (error) => (answered ? undefined : reject(error)));
      const chunk = `"${'x'.repeat(4096)}",`;
      const pump = (): void => {
        // Bounded: at most 4 MB, never ended; the server must answer before that.
        while (!answered && written < 4_000_000 && req.write(chunk)) written += chunk.length;
        if (!answered && written < 4_000_000) req.once('drain', pump);
      };
      req.write('{"reason":[');
      pump();
    });
    expect(status).toBe(413);
    expect(written).toBeLessThan(4_000_000);
  });

  it('refuses a body over the limit with 413', async () => {
    const { api } = await dashboard({ bodyLimit: 1024 });
    const big = { status: 'failed', reason: 'x'.repeat(2000) };
    const answer = await post(`${api}/jobs/cancel`, big);
    expect(answer.status).toBe(413);
    const chunked = await send(`${api}/jobs/cancel`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: JSON.stringify(big),
    });
    expect(chunked.status).toBe(413);
  });
});

describe('requests from another site', () => {
  it('refuses a cross-origin Origin and a cross-site or same-site Sec-Fetch-Site with 403', async () => {
    const { api, host } = await dashboard();
    const url = `${api}/jobs/${failedId.toHexString()}/retry`;
    const cases: Record<string, string>[] = [
      { Origin: 'https://evil.example' },
      { Origin: 'null' },
      { Origin: `http://${host.replace('127.0.0.1', 'localhost')}` },
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'same-site' },
      { Origin: `http://${host}`, 'Sec-Fetch-Site': 'cross-site' },
    ];
    for (const headers of cases) {
      const answer = await post(url, {}, headers);
      expect(answer.status, JSON.stringify(headers)).toBe(403);
    }
    expect((await send(`${api}/stats`, { headers: { 'Sec-Fetch-Site': 'cross-site' } })).status).toBe(403);
    expect(await statusOfFailedJob()).toBe('failed');
  });

  it('allows its own origin, a direct visit (Sec-Fetch-Site: none) and trusted origins', async () => {
    const { api, host } = await dashboard({ trustedOrigins: ['https://admin.example.com'] });
    expect(
      (await send(`${api}/stats`, { headers: { Origin: `http://${host}`, 'Sec-Fetch-Site': 'same-origin' } })).status,
    ).toBe(200);
    expect((await send(`${api}/stats`, { headers: { 'Sec-Fetch-Site': 'none' } })).status).toBe(200);
    expect((await post(`${api}/queues/email/pause`, {}, { Origin: 'https://admin.example.com' })).status).toBe(200);
    expect((await post(`${api}/queues/email/resume`, {}, { Origin: 'https://other.example.com' })).status).toBe(403);
    expect(await monque.getPaused()).toEqual(['email']);
  });

  it('refuses its own host name on another port: the port is compared, not only the name', async () => {
    const { api, host } = await dashboard();
    const port = Number(new URL(`http://${host}`).port);
    const url = `${api}/jobs/${failedId.toHexString()}/retry`;
    // No Sec-Fetch-Site (an older browser): the Origin check alone must refuse these.
    for (const origin of [`http://127.0.0.1:${port === 65_535 ? port - 1 : port + 1}`, 'http://127.0.0.1']) {
      const answer = await post(url, {}, { Origin: origin });
      expect(answer.status, origin).toBe(403);
    }
    expect(await statusOfFailedJob()).toBe('failed');
    expect((await post(url, {}, { Origin: `http://${host}` })).status).toBe(200);
  });
});

describe('the Host header (DNS rebinding)', () => {
  it('without authorize, answers loopback names only: page, assets and API; a rebound change does nothing', async () => {
    const { origin, api } = await dashboard();
    for (const host of ['evil.example', 'evil.example:80', '10.0.0.5:3000', 'localhost.evil.example']) {
      for (const url of [`${origin}/`, `${api}/stats`]) {
        const answer = await send<{ error: string }>(url, { headers: { Host: host } });
        expect(answer.status, `${host} ${url}`).toBe(421);
      }
    }
    const rebound = await post(
      `${api}/jobs/retry`,
      { status: 'failed' },
      { Host: 'evil.example', Origin: 'http://evil.example' },
    );
    expect(rebound.status).toBe(421);
    expect(await statusOfFailedJob()).toBe('failed');
    for (const host of ['localhost', 'LOCALHOST:1', '127.0.0.1', '127.1.2.3:8080', '[::1]', '[::1]:3000']) {
      expect((await send(`${api}/stats`, { headers: { Host: host } })).status, host).toBe(200);
    }
  });

  it('with authorize, answers any host (the hook decides who may use it)', async () => {
    const { api } = await dashboard({ authorize: () => true });
    expect((await send(`${api}/stats`, { headers: { Host: 'jobs.example.com' } })).status).toBe(200);
  });

  it('answers the names of allowedHosts too: without a port on any port, with a port on that one only', async () => {
    const { api } = await dashboard({ allowedHosts: ['jobs.internal', 'Admin.Example.com:8443'] });
    const status = async (host: string) => (await send(`${api}/stats`, { headers: { Host: host } })).status;
    expect(await status('jobs.internal')).toBe(200);
    expect(await status('JOBS.internal:8080')).toBe(200);
    expect(await status('admin.example.com:8443')).toBe(200);
    expect(await status('admin.example.com')).toBe(421);
    expect(await status('admin.example.com:443')).toBe(421);
    expect(await status('evil.example')).toBe(421);
    expect(await status('localhost:3000')).toBe(200);
    // With authorize, allowedHosts still limits the hosts.
    const guarded = await dashboard({ allowedHosts: ['jobs.internal'], authorize: () => true });
    expect((await send(`${guarded.api}/stats`, { headers: { Host: 'evil.example' } })).status).toBe(421);
  });
});

describe('headers and static files', () => {
  it('sends a strict CSP, nosniff, no referrer and no framing on the page, the assets and the API', async () => {
    const { origin, api } = await dashboard();
    const page = await send(`${origin}/`);
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    for (const url of [`${origin}/`, `${origin}/${script}`, `${api}/stats`, `${api}/nothing`]) {
      const { headers } = await send(url);
      expect(headers.get('content-security-policy'), url).toBe(CONTENT_SECURITY_POLICY);
      expect(headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(headers.get('referrer-policy'), url).toBe('no-referrer');
      expect(headers.get('x-frame-options'), url).toBe('DENY');
    }
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
  });

  it('serves a page with no inline script or style, and assets with their types', async () => {
    const { origin } = await dashboard();
    const page = await send(`${origin}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.text)?.[1];
    const css = /href="\.\/(assets\/[^"]+\.css)"/.exec(page.text)?.[1];
    const js = await send(`${origin}/${script}`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(js.text).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.(com|net|org|io)\//);
    expect((await send(`${origin}/${css}`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('serves nothing outside the built UI', async () => {
    const { origin } = await dashboard();
    for (const path of [
      '/../package.json',
      '/assets/../../package.json',
      '/%2e%2e/package.json',
      '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/src/index.ts',
    ]) {
      const answer = await send(`${origin}${path}`);
      expect(answer.status, path).toBe(404);
      expect(answer.text, path).not.toContain('@monque/dashboard');
    }
    expect((await send(`${origin}/`, { method: 'POST', json: {} })).status).toBe(405);
  });

  it('redirects the base path without a slash, and leaves other paths to next (or 404)', async () => {
    const server = await serve(createDashboard({ monque, basePath: '/ops/queue/' }));
    const redirect = await send(`${server.origin}/ops/queue?x=1`);
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('/ops/queue/?x=1');
    expect((await send(`${server.origin}/ops/queue/`)).status).toBe(200);
    expect((await send(`${server.origin}/ops/queued/api/stats`)).status).toBe(404);
    expect((await send(`${server.origin}/api/stats`)).status).toBe(404);
  });
});
