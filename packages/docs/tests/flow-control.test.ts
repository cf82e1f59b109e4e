/**
 * The samples of the "Flow control" guide, run against the test backend: each does what the guide
 * says it does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Monque, type MonqueEventMap, RateLimitError } from '@monque/core';
import { cleanupTestDb, freshCollectionName, getTestDb, waitUntil } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { inspectImports, registerGeocoder, registerImports } from '../snippets/flow-control.js';

let db: Db;
const running: Monque[] = [];

function quickMonque(): Monque {
  const monque = new Monque(db, { collectionName: freshCollectionName(db), pollInterval: 50 });
  running.push(monque);
  return monque;
}

function next<K extends keyof MonqueEventMap>(monque: Monque, event: K): Promise<MonqueEventMap[K]> {
  return new Promise((resolve) => monque.once(event, resolve));
}

beforeAll(async () => {
  db = await getTestDb(import.meta.url);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((monque) => monque.stop()));
});

afterAll(async () => {
  await cleanupTestDb(db);
});

describe('the samples of "Flow control"', () => {
  let server: Server;
  let base = '';
  let requests = 0;

  beforeAll(async () => {
    server = createServer((_, response) => {
      requests += 1;
      if (requests === 1) {
        response.writeHead(429, { 'retry-after': '1' }).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ lat: 52.5, lon: 13.4 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('rate limit: a 429 sends the job back for Retry-After seconds, uncharged; then it geocodes', async () => {
    const monque = quickMonque();
    registerGeocoder(monque, base);
    const limited = next(monque, 'job:rate-limited');
    const job = await monque.enqueue('geocode', { address: 'Unter den Linden 1, Berlin' });
    await monque.start();
    const { retryAfterMs, error, job: after } = await limited;
    expect(retryAfterMs).toBe(1_000);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(after).toMatchObject({ status: 'pending', attempts: 0, failCount: 0 });
    const done = await next(monque, 'job:complete');
    expect(done.result).toEqual({ lat: 52.5, lon: 13.4 });
    expect(await monque.getJob(job._id)).toMatchObject({ status: 'completed', attempts: 1, failCount: 0 });
    expect((await monque.getStats()).byName.geocode?.limits).toEqual({
      globalConcurrency: 20,
      rateLimit: { max: 100, duration: 60_000 },
    });
  });

  it('groups: the second tenant starts at once beside 500 files of the first, two at a time per tenant', async () => {
    const monque = quickMonque();
    const started: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await registerImports(monque, async (tenant) => {
      started.push(tenant);
      await held;
    });
    await monque.start();
    await waitUntil(() => started.length === 3, 'three imports running');
    expect(started.filter((tenant) => tenant === 'acme')).toHaveLength(2);
    expect(started).toContain('globex');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const { imports, busiest, jobs } = await inspectImports(monque);
    log.mockRestore();
    expect(imports).toMatchObject({ due: 498, limited: 498, limits: { groupConcurrency: 2 } });
    expect(busiest).toEqual([
      { group: 'tenant:acme', pending: 498, due: 498, processing: 2, limited: 498 },
      { group: 'tenant:globex', pending: 0, due: 0, processing: 1, limited: 0 },
    ]);
    expect(jobs.map((job) => job.data)).toEqual([{ tenant: 'globex', file: 'one.csv' }]);
    release();
    await monque.stop();
    await db.collection(monque.options.collectionName).deleteMany({});
  });
});
