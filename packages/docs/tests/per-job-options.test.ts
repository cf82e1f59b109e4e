/**
 * The samples of the "Per-job options" guide, run against the test backend: each does what the
 * guide says it does.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JobTimeoutError, Monque, type MonqueEventMap, UnrecoverableError } from '@monque/core';
import { cleanupTestDb, freshCollectionName, getMongoClient, getTestDb, waitUntil } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  enqueueByPriority,
  placeOrder,
  registerBilling,
  registerImporter,
  registerReportFetcher,
  retryLevels,
  typedJobs,
  watchImports,
} from '../snippets/per-job-options.js';

let db: Db;
const running: { stop(): Promise<void> }[] = [];

/** A scheduler on a fresh collection that polls often; stopped after each test. */
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
  await cleanupTestDb(db, ['monque_jobs', 'orders']);
});

describe('the samples of "Per-job options"', () => {
  it('priority: the reset first, then the welcome, then the newsletter', async () => {
    const monque = quickMonque();
    await enqueueByPriority(monque);
    const templates: string[] = [];
    monque.worker<{ template: string }>('send-email', (job) => void templates.push(job.data.template), {
      concurrency: 1,
    });
    await monque.start();
    await waitUntil(() => templates.length === 3, 'three e-mails');
    expect(templates).toEqual(['password-reset', 'welcome', 'newsletter']);
  });

  it("retries: the job's own settings are stored on it and apply", async () => {
    const attempts: number[] = [];
    const monque = await retryLevels(db, async () => {
      attempts.push(Date.now());
      throw new Error('CRM unavailable');
    });
    running.push(monque);
    const [job] = (await monque.getJobs({ name: 'sync-crm' })).jobs;
    expect(job).toMatchObject({
      maxRetries: 3,
      backoff: { type: 'exponential', delay: 1_000, maxDelay: 60_000, jitter: 0.2 },
    });
    const failed = next(monque, 'job:fail');
    await monque.start();
    const { job: after, willRetry } = await failed;
    const delay = after.nextRunAt.getTime() - after.updatedAt.getTime();
    expect(willRetry).toBe(true);
    // 2^1 × 1000, lowered by up to 20 % of jitter (the worker's fixed 30 s does not apply).
    expect(delay).toBeGreaterThanOrEqual(1_600);
    expect(delay).toBeLessThanOrEqual(2_000);
  });

  describe('timeout and fetch', () => {
    let server: Server;
    let base = '';
    const closed: string[] = [];

    beforeAll(async () => {
      server = createServer((request: IncomingMessage, response) => {
        if (request.url === '/ok') {
          response.end('quarterly report');
          return;
        }
        // /slow never answers; note when the client gives up.
        request.socket.once('close', () => closed.push(request.url ?? ''));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('returns the response as the result when it comes in time', async () => {
      const monque = quickMonque();
      registerReportFetcher(monque, 2_000);
      await monque.start();
      const done = next(monque, 'job:complete');
      await monque.enqueue('fetch-report', { url: `${base}/ok` });
      expect((await done).result).toEqual({ status: 200, bytes: 'quarterly report'.length });
    });

    it('aborts fetch at the deadline (the connection closes) and fails the run with JobTimeoutError', async () => {
      const monque = quickMonque();
      registerReportFetcher(monque, 200);
      await monque.start();
      const failed = next(monque, 'job:fail');
      await monque.enqueue('fetch-report', { url: `${base}/slow` });
      const { error, willRetry } = await failed;
      expect(error).toBeInstanceOf(JobTimeoutError);
      expect(willRetry).toBe(true);
      await waitUntil(() => closed.includes('/slow'), 'the aborted request to close its connection', {
        timeoutMs: 2_000,
      });
    });
  });

  it('a loop that checks its signal reports coalesced progress and returns its result', async () => {
    const monque = quickMonque();
    const imported: string[] = [];
    registerImporter(monque, async (row) => {
      imported.push(row.sku);
      await new Promise((resolve) => setImmediate(resolve));
    });
    const lines: string[] = [];
    watchImports(monque, (line) => lines.push(line));
    await monque.start();
    const rows = Array.from({ length: 250 }, (_, n) => ({ sku: `sku-${n}`, quantity: n }));
    const done = next(monque, 'job:complete');
    const job = await monque.enqueue('import-rows', { rows });
    const { result } = await done;
    expect(result).toEqual({ imported: 250 });
    expect(imported).toHaveLength(250);
    expect(await monque.getJob(job._id)).toMatchObject({ progress: { done: 200, of: 250 }, result: { imported: 250 } });
    expect(lines.some((line) => line.endsWith('{"done":200,"of":250}'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^import-rows [0-9a-f]{24} done in \d+ ms: \{"imported":250\}$/);
  });

  it('UnrecoverableError: an unknown customer fails at once, a declined card is retried', async () => {
    const monque = quickMonque();
    const charge = vi.fn(async () => {
      throw new Error('card declined');
    });
    registerBilling(monque, async (id) => (id === 'cus_1' ? { id, card: 'tok_visa' } : null), charge);
    await monque.start();
    const ghost = await monque.enqueue('charge-card', { customerId: 'cus_404', amountCents: 500 });
    const real = await monque.enqueue('charge-card', { customerId: 'cus_1', amountCents: 500 });
    const failures = new Map<string, { error: Error; willRetry: boolean }>();
    monque.on('job:fail', ({ job, error, willRetry }) => failures.set(job._id.toHexString(), { error, willRetry }));
    await waitUntil(() => failures.size === 2, 'both jobs to fail once');
    expect(failures.get(ghost._id.toHexString())).toMatchObject({ willRetry: false });
    expect(failures.get(ghost._id.toHexString())?.error).toBeInstanceOf(UnrecoverableError);
    expect(failures.get(real._id.toHexString())).toMatchObject({ willRetry: true });
    expect(charge).toHaveBeenCalledTimes(1);
  });

  it('transactional enqueue: the order and its receipt job are stored together, or neither', async (context) => {
    const client = await getMongoClient();
    const session = client.startSession();
    try {
      session.startTransaction();
      await db.collection('orders').findOne({}, { session });
      await session.abortTransaction();
    } catch (error) {
      return context.skip(`the server runs no transactions (${(error as Error).message})`);
    } finally {
      await session.endSession();
    }
    const monque = quickMonque();
    await placeOrder(client, db, monque, { orderId: 'o-1', email: 'ada@example.com', totalCents: 1200 });
    expect(await db.collection('orders').countDocuments({ orderId: 'o-1' })).toBe(1);
    expect(await monque.countJobs({ name: 'send-receipt', uniqueKey: 'receipt-o-1' })).toBe(1);

    // An order id too long for a unique key: the enqueue refuses it, so the order is not stored either.
    const tooLong = 'o'.repeat(600);
    await expect(
      placeOrder(client, db, monque, { orderId: tooLong, email: 'ada@example.com', totalCents: 1 }),
    ).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'options.uniqueKey' });
    expect(await db.collection('orders').countDocuments({ orderId: tooLong })).toBe(0);
    expect(await monque.countJobs({ name: 'send-receipt' })).toBe(1);
  });

  it('typed jobs: the typed instance runs its jobs', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const monque = await typedJobs(db, async (url, width) => `${url}@${width}`);
      running.push(monque);
      expect(await monque.countJobs({ name: 'send-email' })).toBe(1);
      await monque.start();
      const done = next(monque as unknown as Monque, 'job:complete');
      await monque.enqueue('resize-image', { url: '/logo.png', width: 64 });
      expect((await done).result).toBe('/logo.png@64');
      expect(log).toHaveBeenCalledWith('resized to 64 px');
    } finally {
      log.mockRestore();
    }
  });
});
