/**
 * The schedules view, the attempt history and the overview in headless Chromium, against a started
 * Monque whose handlers really run and fail: every recurring job with its cron, time zone, next
 * run, last run and outcome, paused and unscheduled from the page; a job's failed attempts with
 * their stacks folded; a paused name without jobs on the overview; 1280 px and 390 px layouts.
 */
import { existsSync } from 'node:fs';
import { type Job, Monque } from '@monque/core';
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumFound,
  displayOf,
  type E2e,
  expectNothingCutOff,
  openDashboard,
  screenshot,
  skipReason,
} from '../helpers/e2e.js';
import { insertJobs, useDashboardDb } from '../helpers/jobs.js';

if (skipReason) process.stderr.write(`[dashboard e2e] skipped: ${skipReason}\n`);
const getDb = useDashboardDb(import.meta.url);

class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
}

/** A failure as a real service would throw it, with a short, readable stack. */
function declined(attempt: number): PaymentDeclined {
  const error = new PaymentDeclined(`card declined by the issuer (code 51, insufficient funds), attempt ${attempt}`);
  error.stack = [
    `PaymentDeclined: ${error.message}`,
    '    at chargeCard (/srv/billing/src/charge.ts:42:11)',
    '    at async handleInvoice (/srv/billing/src/jobs/charge-card.ts:18:5)',
    '    at async runJob (/srv/billing/node_modules/@monque/core/dist/index.mjs:1210:20)',
  ].join('\n');
  return error;
}

describe.skipIf(Boolean(skipReason))(
  `schedules, attempts and overview in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let db: Db;
    let collectionName: string;
    let worker: Monque;
    let e2e: E2e;
    let charge: Job;

    beforeAll(async () => {
      db = await getDb();
      collectionName = freshCollectionName(db, 'e2e-views');
      worker = new Monque(db, { collectionName, pollInterval: 100, baseRetryInterval: 50 });
      let charges = 0;
      worker.worker('charge-card', () => {
        charges += 1;
        throw declined(charges);
      });
      worker.worker('cleanup-tmp', () => ({ removed: 12 }));
      worker.worker('sync-crm', () => {
        throw new Error('CRM API answered 503 Service Unavailable');
      });
      await worker.schedule('0 3 * * *', 'nightly-report', { format: 'pdf' }, { timezone: 'Europe/Berlin' });
      await worker.schedule('*/30 * * * *', 'cleanup-tmp', { dir: '/tmp/uploads' }, { uniqueKey: 'uploads' });
      await worker.schedule('*/15 * * * *', 'sync-crm', { full: false }, { maxRetries: 2 });
      // Two of the schedules are due now, so they run once before the page is opened.
      await db
        .collection(collectionName)
        .updateMany(
          { name: { $in: ['cleanup-tmp', 'sync-crm'] } },
          { $set: { nextRunAt: new Date(Date.now() - 1000) } },
        );
      charge = await worker.enqueue('charge-card', { invoice: 'INV-2025-0042', amount: 129.9 }, { maxRetries: 3 });
      await worker.pause('nightly-export');
      await worker.start();
      await waitUntil(
        async () => {
          const [done, failedCharge, crm] = await Promise.all([
            worker.getJobs({ name: 'cleanup-tmp' }).then(({ jobs }) => jobs[0]?.completedAt !== undefined),
            worker.getJob(charge._id).then((job) => job?.status === 'failed'),
            worker.getJobs({ name: 'sync-crm' }).then(({ jobs }) => (jobs[0]?.errors?.length ?? 0) >= 1),
          ]);
          return done && failedCharge && crm;
        },
        'the schedules to run and the charge to fail three times',
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      await worker.pause('sync-crm');
      e2e = await openDashboard(db, collectionName);
    });

    afterAll(async () => {
      await e2e?.close();
      await worker?.stop();
      await db?.collection(`${collectionName}_control`).deleteMany({});
      await db?.collection(`${collectionName}_metrics`).deleteMany({});
    });

    it('the overview lists a paused name that has no jobs, ready to resume', async () => {
      await e2e.page.goto(e2e.server.url);
      const row = e2e.page.locator('tr[data-name="nightly-export"]');
      await row.waitFor();
      expect(await row.locator('.badge.paused').count()).toBe(1);
      expect(await row.getByRole('button', { name: 'Resume nightly-export' }).count()).toBe(1);
    });

    it('lists every recurring job: cron, time zone, next run, last run and outcome', async () => {
      await e2e.page.getByRole('link', { name: 'Schedules' }).click();
      const rows = e2e.page.locator('table.schedules tbody tr');
      await expect.poll(() => rows.count()).toBe(3);
      expect(await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-name')))).toEqual([
        'cleanup-tmp',
        'nightly-report',
        'sync-crm',
      ]);
      const cells = async (name: string) =>
        e2e.page
          .locator(`tr[data-name="${name}"] td`)
          .evaluateAll((tds) =>
            Object.fromEntries(tds.map((td) => [td.getAttribute('data-label'), td.textContent?.trim()])),
          );
      expect(await cells('nightly-report')).toMatchObject({
        Name: 'nightly-report',
        Cron: '0 3 * * *',
        'Time zone': 'Europe/Berlin',
        'Last run': '—',
        Outcome: 'not run yet',
        State: 'active',
      });
      expect(await cells('cleanup-tmp')).toMatchObject({
        Name: 'cleanup-tmp · uploads',
        Cron: '*/30 * * * *',
        'Time zone': 'UTC',
        Outcome: 'completed',
      });
      expect((await cells('cleanup-tmp'))['Last run']).toMatch(/^(just now|\d+ \w+ ago) · took .+$/);
      expect(await cells('sync-crm')).toMatchObject({
        State: 'paused',
      });
      expect((await cells('sync-crm')).Outcome).toMatch(/^failed\s*CRM API answered 503 Service Unavailable$/);
      const nextRun = e2e.page.locator('tr[data-name="nightly-report"] td[data-label="Next run"] time');
      const [schedule] = await worker.getSchedules({ name: 'nightly-report' });
      expect(await nextRun.getAttribute('datetime')).toBe(schedule?.nextRunAt.toISOString());
      expect(await nextRun.getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\d 0[12]:00:00 UTC \(UTC\)$/);
      expect(await nextRun.textContent()).toMatch(/^in \d+ (h|min)$/);
    });

    it('fits 1280 px and shows cards at 390 px', async () => {
      await screenshot(e2e.page, 'schedules.png', { fit: true });
      await expectNothingCutOff(e2e.page, 'schedules at 1280 px');
      await e2e.page.setViewportSize({ width: 390, height: 844 });
      try {
        await screenshot(e2e.page, 'schedules-phone.png', { fit: true });
        await expectNothingCutOff(e2e.page, 'schedules at 390 px');
        expect(await displayOf(e2e.page, 'table.schedules tbody td')).toBe('flex');
      } finally {
        await e2e.page.setViewportSize({ width: 1280, height: 860 });
      }
    });

    it('pauses and resumes a name, and unschedules a recurring job', async () => {
      e2e.posts.length = 0;
      await e2e.page.getByRole('button', { name: 'Resume sync-crm' }).click();
      await e2e.page.locator('tr[data-name="sync-crm"] .badge.running').waitFor();
      expect(await worker.getPaused()).toEqual(['nightly-export']);
      await e2e.page.getByRole('button', { name: 'Pause sync-crm' }).click();
      await e2e.page.locator('tr[data-name="sync-crm"] .badge.paused').waitFor();
      expect(await worker.getPaused()).toEqual(expect.arrayContaining(['nightly-export', 'sync-crm']));

      await e2e.page.getByRole('button', { name: 'Unschedule cleanup-tmp uploads' }).click();
      const dialog = e2e.page.locator('dialog.confirm');
      expect(await dialog.locator('h2').textContent()).toBe('Unschedule cleanup-tmp (uploads)?');
      await dialog.getByRole('button', { name: 'Unschedule' }).click();
      await e2e.page.getByText('Unscheduled cleanup-tmp (uploads)').waitFor();
      await expect.poll(() => e2e.page.locator('table.schedules tbody tr').count()).toBe(2);
      expect(e2e.posts.at(-1)).toEqual({
        path: '/api/schedules/unschedule',
        body: { name: 'cleanup-tmp', uniqueKey: 'uploads' },
      });
      expect((await worker.getSchedules()).map((job) => job.name)).toEqual(['nightly-report', 'sync-crm']);
    });

    it('shows every failed attempt in the job detail, newest first, stacks folded', async () => {
      await e2e.page.goto(`${e2e.server.url}#/jobs/${charge._id.toHexString()}`);
      const history = e2e.page.locator('.block.attempts');
      await history.waitFor();
      expect(await history.locator('h2').textContent()).toBe('Attempt history (3 failed, newest first)');
      const attempts = history.locator('li.attempt');
      expect(await attempts.count()).toBe(3);
      const first = attempts.first();
      expect(await first.locator('.attempt-head .badge').textContent()).toBe('attempt 3');
      expect(await first.locator('.attempt-meta').textContent()).toMatch(
        new RegExp(`^on ${worker.instanceId} · ran \\d+ ms$`),
      );
      expect(await first.locator('.attempt-message').textContent()).toBe(
        'card declined by the issuer (code 51, insufficient funds), attempt 3',
      );
      expect(await first.locator('.attempt-head time').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · /);
      const stack = first.locator('details.stack');
      expect(await stack.getAttribute('open')).toBeNull();
      expect(await stack.locator('pre').isVisible()).toBe(false);
      await stack.locator('summary').click();
      expect(await stack.locator('pre').isVisible()).toBe(true);
      expect(await stack.locator('pre').textContent()).toContain('at chargeCard (/srv/billing/src/charge.ts:42:11)');
      expect(await e2e.page.locator('.block.fail pre').textContent()).toBe(
        'card declined by the issuer (code 51, insufficient funds), attempt 3',
      );
      await expectNothingCutOff(e2e.page, 'job detail at 1280 px');
      await screenshot(e2e.page, 'job-attempts.png', { fit: true });
      await e2e.page.setViewportSize({ width: 390, height: 844 });
      try {
        await expectNothingCutOff(e2e.page, 'job detail at 390 px');
        await screenshot(e2e.page, 'job-detail-phone.png', { fit: true });
      } finally {
        await e2e.page.setViewportSize({ width: 1280, height: 860 });
      }
    });

    it('pauses, resumes and unschedules the names "." and "..", never every name', async () => {
      await worker.enqueue('.', {});
      await worker.schedule('0 4 * * *', '..', {});
      const pausedBefore = await worker.getPaused();
      await e2e.page.goto(e2e.server.url);
      await e2e.page.getByRole('button', { name: 'Pause .', exact: true }).click();
      await e2e.page.locator('tr[data-name="."] .badge.paused').waitFor();
      expect(await worker.getPaused()).toEqual([...(pausedBefore as string[]), '.'].sort());
      await e2e.page.getByRole('button', { name: 'Resume .', exact: true }).click();
      await e2e.page.locator('tr[data-name="."] .badge.running').waitFor();
      expect(await worker.getPaused()).toEqual(pausedBefore);

      await e2e.page.getByRole('link', { name: 'Schedules' }).click();
      await e2e.page.getByRole('button', { name: 'Pause ..', exact: true }).click();
      await e2e.page.locator('tr[data-name=".."] .badge.paused').waitFor();
      expect(await worker.getPaused()).toEqual([...(pausedBefore as string[]), '..'].sort());
      await e2e.page.getByRole('button', { name: 'Unschedule ..', exact: true }).click();
      await e2e.page.locator('dialog.confirm').getByRole('button', { name: 'Unschedule' }).click();
      await e2e.page.getByText('Unscheduled ..', { exact: true }).waitFor();
      expect((await worker.getSchedules()).map((job) => job.name)).not.toContain('..');
      await worker.resume('..');
      await worker.deleteJobs({ name: '.' });
    });

    it('pages the schedules: past a page, the rest is one click away, never silently left out', async () => {
      const before = (await worker.getSchedules()).map((job) => job.name);
      const keys = Array.from({ length: 101 }, (_, index) => `tenant-${String(index).padStart(3, '0')}`);
      await insertJobs(
        db,
        collectionName,
        keys.map((uniqueKey) => ({
          name: 'tenant-report',
          status: 'pending' as const,
          nextRunAt: new Date(Date.now() + 86_400_000),
          repeatInterval: '0 3 * * *',
          timezone: 'UTC',
          uniqueKey,
          activeKey: `s:${uniqueKey}`,
        })) as never,
      );
      try {
        await e2e.page.goto(`${e2e.server.url}#/`);
        await e2e.page.getByRole('link', { name: 'Schedules' }).click();
        const rows = e2e.page.locator('table.schedules tbody tr[data-id]');
        const pager = e2e.page.getByRole('navigation', { name: 'Pages of schedules' });
        await expect.poll(() => rows.count()).toBe(100);
        expect(await pager.textContent()).toContain('Page 1 · more on the next page');
        const firstPage = await rows.evaluateAll((all) => all.map((row) => row.textContent?.split('0 3')[0]));
        await pager.getByRole('button', { name: 'Next' }).click();
        await expect.poll(() => pager.textContent()).toContain('Page 2');
        await expect.poll(() => rows.count()).toBe(before.length + 101 - 100);
        expect(await pager.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
        expect(await rows.last().textContent()).toContain('tenant-100');
        expect(firstPage).not.toContain(await rows.first().evaluate((row) => row.textContent?.split('0 3')[0]));
        await pager.getByRole('button', { name: 'First page' }).click();
        await expect.poll(() => rows.count()).toBe(100);
      } finally {
        await db.collection(collectionName).deleteMany({ name: 'tenant-report' });
      }
    });

    it('names the time zone times are shown in', async () => {
      expect(await e2e.page.locator('header .zone').textContent()).toBe('Times: UTC');
    });

    it('ran without Content Security Policy violations or page errors', () => {
      expect(e2e.cspViolations).toEqual([]);
      expect(e2e.pageErrors).toEqual([]);
    });
  },
);

// The skip above must be visible, not silent: this runs either way.
it('knows whether a browser is available', () => {
  expect('path' in chromiumFound ? existsSync(chromiumFound.path) : skipReason).toBeTruthy();
});
