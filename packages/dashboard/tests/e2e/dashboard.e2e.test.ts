/**
 * The dashboard in a real headless Chromium, against a started Monque on the test backend: the
 * overview, a data-field filter, a failed job retried until it completes, pausing a name, dark
 * mode and a phone-sized screen, and a cross-origin form post that must be refused. The page must
 * run without a single Content Security Policy violation.
 *
 * Screenshots (overview, job list, job detail) go to packages/docs/public/dashboard/ when they are
 * missing or when UPDATE_SCREENSHOTS=1; otherwise to a temporary folder.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Job, Monque } from '@monque/core';
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import type { Db } from 'mongodb';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StandaloneServer, startStandaloneServer } from '../../src/standalone-server.js';
import { findChromium, launchBrowser } from '../helpers/browser.js';
import { insertJobs, useDashboardDb } from '../helpers/jobs.js';

const chromiumFound = findChromium();
const reason = 'reason' in chromiumFound ? chromiumFound.reason : '';
if (reason) process.stderr.write(`[dashboard e2e] skipped: ${reason}\n`);

const docsShots = fileURLToPath(new URL('../../../docs/public/dashboard/', import.meta.url));
const getDb = useDashboardDb(import.meta.url);

describe.skipIf(Boolean(reason))(`dashboard in headless Chromium${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let db: Db;
  let collectionName: string;
  let worker: Monque;
  let server: StandaloneServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let failedJob: Job;
  let shotsDir: string;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  async function screenshot(name: string): Promise<void> {
    const target = process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(join(docsShots, name)) ? docsShots : shotsDir;
    await mkdir(target, { recursive: true });
    await page.screenshot({ path: join(target, name), fullPage: true });
  }

  beforeAll(async () => {
    db = await getDb();
    collectionName = freshCollectionName(db, 'e2e');
    shotsDir = await mkdtemp(join(tmpdir(), 'monque-dashboard-shots-'));
    const hour = 3_600_000;
    const now = Date.now();
    const seeded = await insertJobs(db, collectionName, [
      ...[7, 42, 1001].map((id, index) => ({
        name: 'send-email',
        status: 'completed' as const,
        data: { to: `customer${id}@example.com`, customer: { id }, template: 'invoice-ready' },
        result: { messageId: `<m${index}@mail.example>` },
        attempts: 1,
        createdAt: new Date(now - (3 - index) * hour),
      })),
      {
        name: 'send-email',
        status: 'pending',
        data: { to: 'later@example.com', customer: { id: 7 } },
        nextRunAt: new Date(now + hour),
      },
      {
        name: 'generate-report',
        status: 'processing',
        data: { customer: { id: 42 }, month: '2025-05' },
        progress: 60,
      },
      {
        name: 'generate-report',
        status: 'pending',
        data: { customer: { id: 1001 }, month: '2025-05' },
        nextRunAt: new Date(now - 90_000),
      },
      {
        name: 'export-csv',
        status: 'cancelled',
        data: { customer: { id: 2024 }, rows: 5000 },
        cancelReason: 'duplicate request',
      },
      {
        name: 'sync-crm',
        status: 'failed',
        data: { customer: { id: 42 }, batch: 3 },
        failReason: 'CRM API answered 503 (try again later)',
        failCount: 3,
        attempts: 3,
      },
      {
        name: 'sync-crm',
        status: 'completed',
        data: { customer: { id: 7 }, batch: 2 },
        result: { synced: 52 },
        attempts: 1,
      },
    ]);
    failedJob = seeded.find((job) => job.status === 'failed') as Job;

    // The worker now succeeds: a retried job runs and completes.
    worker = new Monque(db, { collectionName, pollInterval: 100 });
    worker.worker<{ batch: number }>('sync-crm', async (job) => ({ synced: 50 + job.data.batch }));
    worker.worker<{ file: string }>('resize-image', async (job) => ({ file: job.data.file, width: 640 }));
    await worker.start();
    // Real runs, so the counts and the throughput chart have something to show.
    for (let index = 0; index < 12; index += 1) await worker.enqueue('resize-image', { file: `photo-${index}.jpg` });
    await worker.pause('export-csv');
    await waitUntil(
      async () => (await worker.countJobs({ name: 'resize-image', status: 'completed' })) === 12,
      'the resize-image jobs to complete',
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    // The runs are counted per minute by the instance and written every few seconds.
    const counted = async () => (await worker.getThroughput({ minutes: 10 })).reduce((sum, b) => sum + b.completed, 0);
    await waitUntil(async () => (await counted()) >= 12, 'the runs to be counted', {
      timeoutMs: 20_000,
      intervalMs: 250,
    });

    server = await startStandaloneServer({ db, collectionName, port: 0 });
    browser = await launchBrowser((chromiumFound as { path: string }).path);
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await worker?.stop();
    await db?.collection(`${collectionName}_control`).deleteMany({});
    await db?.collection(`${collectionName}_metrics`).deleteMany({});
  });

  it('shows the overview: one row per name with counts, due jobs and the chart', async () => {
    await page.goto(server.url);
    const row = page.locator('tr[data-name="sync-crm"]');
    await row.waitFor();
    await expect.poll(() => row.locator('td.col-failed').textContent()).toBe('1');
    const report = page.locator('tr[data-name="generate-report"]');
    expect(await report.locator('td.col-due').textContent()).toBe('1');
    expect(await report.locator('td.col-processing').textContent()).toBe('1');
    expect(await page.locator('.chart canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('.chart figcaption').textContent()).toContain('12 completed, 0 failed');
    await screenshot('overview.png');
  });

  it('filters the job list by a data field', async () => {
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByLabel('Data field').fill('customer.id = 42');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.locator('.count').textContent()).toBe('3 matching jobs');
    const data = await page.locator('table.jobs tbody td.data-preview').allInnerTexts();
    expect(data).toHaveLength(3);
    for (const text of data) expect(text).toContain('"customer":{"id":42}');
    expect(page.url()).toContain('data=customer.id');
    await screenshot('job-list.png');
  });

  it('opens the failed job, retries it and sees it complete', async () => {
    const id = failedJob._id.toHexString();
    await page.locator(`tr[data-id="${id}"] a`).click();
    await page.getByRole('heading', { name: /sync-crm/ }).waitFor();
    expect(await page.locator('h1 .badge').textContent()).toBe('failed');
    expect(await page.locator('.block.fail pre').textContent()).toBe('CRM API answered 503 (try again later)');
    expect(await page.locator('.fields').textContent()).toMatch(/Fail count\s*3/);
    await screenshot('job-detail.png');
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByText('Retried: the job is due now').waitFor();
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh' }).click();
          return page.locator('h1 .badge').textContent();
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe('completed');
    expect(await page.locator('.blocks').textContent()).toContain('"synced": 53');
  });

  it('pauses a job name from the overview', async () => {
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('button', { name: 'Pause send-email' }).click();
    await page.locator('tr[data-name="send-email"] .badge.paused').waitFor();
    expect(await worker.getPaused()).toEqual(expect.arrayContaining(['export-csv', 'send-email']));
    await page.getByRole('button', { name: 'Resume send-email' }).click();
    await page.locator('tr[data-name="send-email"] .badge.running').waitFor();
    expect(await worker.getPaused()).toEqual(['export-csv']);
  });

  it('switches to dark mode and fits a phone screen', async () => {
    await page.getByRole('button', { name: /Colour theme: system/ }).click();
    // The theme is applied in an effect, just after the click's render: poll for it.
    await expect.poll(() => page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
    await expect.poll(() => page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(18, 22, 28)');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}#/jobs/${failedJob._id.toHexString()}`);
    await page.getByRole('heading', { name: /sync-crm/ }).waitFor();
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await page.goto(server.url);
    await page.locator('tr[data-name="sync-crm"]').waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(
      0,
    );
    // The overview's rows are cards at phone width too, with every count labelled.
    expect(
      await page.evaluate<string>(`getComputedStyle(document.querySelector('table.overview tbody tr')).display`),
    ).toBe('grid');
    await screenshot('overview-phone.png');
    await page.getByRole('button', { name: /Colour theme: dark/ }).click();
    await page.getByRole('button', { name: /Colour theme: light/ }).click();
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('refuses a cross-origin form post, changing nothing', async () => {
    const [target] = await insertJobs(db, collectionName, [{ name: 'export-csv', status: 'completed' }]);
    const action = `${server.url}api/jobs/${target?._id.toHexString()}/delete`;
    const attacker = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(
        `<form id="f" method="POST" action="${action}" enctype="text/plain"><input name='{"a":"' value='"}'></form>` +
          '<script>document.getElementById("f").submit()</script>',
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (attacker.address() as AddressInfo).port;
      const response = page.waitForResponse((answer) => answer.url() === action);
      await page.goto(`http://localhost:${port}/`);
      const answer = await response;
      expect(answer.status()).toBe(403);
      expect(await answer.text()).toContain('cross-site request refused');
      expect(await worker.getJob(target?._id as Job['_id'])).not.toBeNull();
    } finally {
      attacker.closeAllConnections();
      await new Promise<void>((resolve) => attacker.close(() => resolve()));
    }
  });

  it('ran without Content Security Policy violations or page errors', () => {
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

// The skip above must be visible, not silent: this runs either way.
it('knows whether a browser is available', () => {
  expect('path' in chromiumFound || reason.length > 0).toBe(true);
});
