/**
 * Flow control in headless Chromium, against a started Monque whose limited handlers hold their
 * jobs: the overview shows how many due jobs wait on a limit (a column that appears only when some
 * name has limits), each limited name's limits under it, and a card with its busiest groups.
 */
import { type Job, Monque } from '@monque/core';
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2e, expectNothingCutOff, openDashboard, skipReason } from '../helpers/e2e.js';
import { useDashboardDb } from '../helpers/jobs.js';

if (skipReason) process.stderr.write(`[dashboard e2e] skipped: ${skipReason}\n`);
const getDb = useDashboardDb(import.meta.url);

describe.skipIf(Boolean(skipReason))(`flow control in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let db: Db;
  let collectionName: string;
  let worker: Monque;
  let e2e: E2e;
  let release: () => void = () => {};

  beforeAll(async () => {
    db = await getDb();
    collectionName = freshCollectionName(db, 'e2e-flow');
    worker = new Monque(db, { collectionName, pollInterval: 100 });
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    worker.worker('import-file', () => held, { concurrency: 5, groupConcurrency: 1 });
    await worker.enqueueMany([
      ...Array.from({ length: 4 }, (_, n) => ({
        name: 'import-file',
        data: { file: `acme-${n}.csv` },
        options: { group: 'tenant:acme' },
      })),
      { name: 'import-file', data: { file: 'globex.csv' }, options: { group: 'tenant:globex' } },
    ]);
    await worker.enqueue('send-email', { to: 'ada@example.com' });
    await worker.start();
    await waitUntil(
      async () => (await worker.countJobs({ name: 'import-file', status: 'processing' })) === 2,
      'one import of each tenant running',
    );
    e2e = await openDashboard(db, collectionName);
  });

  afterAll(async () => {
    release();
    await e2e?.close();
    await worker?.stop();
    await db?.collection<Job>(collectionName).deleteMany({});
    await db?.collection(`${collectionName}_limits`).deleteMany({});
  });

  it('the overview shows the limits, the due jobs held back, and the busiest groups', async () => {
    await e2e.page.goto(e2e.server.url);
    const row = e2e.page.locator('tr[data-name="import-file"]');
    await row.waitFor();
    await expect.poll(() => row.locator('.limits').textContent()).toBe('1 per group');
    await expect.poll(() => row.locator('td.col-limited').textContent()).toBe('3');
    await expect.poll(() => e2e.page.locator('tr[data-name="send-email"] td.col-limited').textContent()).toBe('0');
    expect(await e2e.page.locator('table.overview thead th', { hasText: 'Held by a limit' }).count()).toBe(1);
    const card = e2e.page.locator('.flow-card[data-name="import-file"]');
    await card.locator('tr[data-group="tenant:acme"]').waitFor();
    expect(await card.textContent()).toContain('3 due jobs wait on a limit');
    const acme = await card.locator('tr[data-group="tenant:acme"] td').allTextContents();
    expect(acme).toEqual(['1', '3', '3']);
    const globex = await card.locator('tr[data-group="tenant:globex"] td').allTextContents();
    expect(globex).toEqual(['1', '0', '0']);
    expect(await e2e.page.locator('.flow-card[data-name="send-email"]').count()).toBe(0);
    await expectNothingCutOff(e2e.page, 'overview with flow control');
    expect(e2e.cspViolations).toEqual([]);
    expect(e2e.pageErrors).toEqual([]);
  });
});
