/**
 * Every view in headless Chromium at 1280 px and at 390 px, with the names operators really use
 * (namespaced, 40 to 70 characters) and worse (216 characters without a space): nothing is pushed
 * out of view or cut off (a long name once pushed the Data and Fail reason columns past the edge,
 * and a job's breadcrumb made the page scroll sideways), and at phone width the list keeps its
 * controls (the sort buttons and "select every job on this page" were clipped with the header).
 *
 * With SHOTS_DIR set, each view is also saved there as a PNG, to look at.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Job, Monque } from '@monque/core';
import type { Db } from 'mongodb';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumFound, type E2e, expectNothingCutOff, openDashboard, skipReason } from '../helpers/e2e.js';
import { freshMonque, insertJobs, useDashboardDb } from '../helpers/jobs.js';

if (skipReason) process.stderr.write(`[dashboard e2e] skipped: ${skipReason}\n`);
const getDb = useDashboardDb(import.meta.url);

const BILLING = 'billing.invoices.generate-monthly-statement';
const CRM = 'crm.sync.salesforce-contacts-to-warehouse-nightly-full-refresh';
const UNBROKEN = `very-long-job-name-without-any-space-${'x'.repeat(180)}`;

/** The element a click at the centre of `selector` would reach is that element (or inside it). */
async function clickable(page: Page, selector: string): Promise<boolean> {
  return page.evaluate<boolean>(`(() => {
    const target = document.querySelector(${JSON.stringify(selector)});
    if (!target) return false;
    const box = target.getBoundingClientRect();
    if (box.width < 8 || box.height < 8) return false;
    const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
    return hit !== null && (hit === target || target.contains(hit));
  })()`);
}

describe.skipIf(Boolean(skipReason))(`layout of every view${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let db: Db;
  let monque: Monque;
  let e2e: E2e;
  let unbroken: Job;

  const shoot = async (name: string): Promise<void> => {
    const dir = process.env.SHOTS_DIR;
    if (!dir) return;
    await e2e.page.screenshot({ path: join(dir, `layout-${name}.png`), fullPage: true });
    await e2e.page.screenshot({ path: join(dir, `layout-${name}-window.png`) });
  };
  const visit = async (hash: string, ready: string): Promise<void> => {
    await e2e.page.goto(`${e2e.server.url}${hash}`);
    await e2e.page.locator(ready).first().waitFor();
  };

  beforeAll(async () => {
    db = await getDb();
    monque = freshMonque(db);
    const collectionName = (monque as unknown as { options: { collectionName: string } }).options.collectionName;
    const data = { customer: { id: 42, email: 'ada@example.com' }, invoice: 'INV-2025-000123' };
    const failReason = `upstream answered 502 Bad Gateway after 30 s: ${'retry later '.repeat(12)}`;
    [unbroken] = (await insertJobs(db, collectionName, [
      { name: UNBROKEN, status: 'failed', data: { url: `https://example.com/${'z'.repeat(300)}` }, failReason },
      { name: CRM, status: 'failed', data, failReason },
      { name: BILLING, status: 'completed', data },
      { name: 'send-email', status: 'pending', data: { to: 'x@example.com' } },
    ])) as [Job];
    await monque.schedule('0 3 * * *', CRM, { full: true }, { timezone: 'America/Argentina/Buenos_Aires' });
    await monque.schedule('0 4 * * *', UNBROKEN, {}, { uniqueKey: `tenant-${'k'.repeat(120)}` });
    await monque.pause(CRM);
    await monque.pause(`paused-without-jobs.${'y'.repeat(60)}`);
    e2e = await openDashboard(db, collectionName);
  });

  afterAll(async () => {
    await e2e?.close();
  });

  for (const [width, height] of [
    [1280, 860],
    [390, 844],
  ] as const) {
    it(`nothing is cut off at ${width} px: overview, jobs, job detail, schedules`, async () => {
      await e2e.page.setViewportSize({ width, height });
      const problems: string[] = [];
      for (const [view, hash, ready] of [
        ['overview', '#/', `tr[data-name="${CRM}"]`],
        ['jobs', '#/jobs', 'table.jobs tbody tr[data-id]'],
        ['job', `#/jobs/${unbroken._id.toHexString()}`, 'h1#job-title'],
        ['schedules', '#/schedules', 'table.schedules tbody tr[data-id]'],
      ] as const) {
        await visit(hash, ready);
        await shoot(`${view}-${width}`);
        // Every view is checked (and saved) before the test fails, so one run shows them all.
        await expectNothingCutOff(e2e.page, `${view} at ${width} px`).catch((error: Error) =>
          problems.push(error.message.split('\n')[0] ?? ''),
        );
      }
      expect(problems).toEqual([]);
    });
  }

  it('keeps the sort buttons and "select every job on this page" usable at 390 px', async () => {
    await e2e.page.setViewportSize({ width: 390, height: 844 });
    await visit('#/jobs', 'table.jobs tbody tr[data-id]');
    for (const label of ['Next run', 'Created', 'Finished']) {
      const selector = `th button.sort[title^="Sort by ${label.toLowerCase()}"]`;
      expect(await clickable(e2e.page, selector), label).toBe(true);
    }
    expect(await clickable(e2e.page, 'input[aria-label="Select every job on this page"]')).toBe(true);
    const rows = await e2e.page.locator('table.jobs tbody tr[data-id]').count();
    await e2e.page.getByLabel('Select every job on this page').check();
    await e2e.page.getByRole('button', { name: `Delete selected (${rows})` }).waitFor();
    await e2e.page.getByRole('button', { name: /^Next run/ }).click();
    await expect.poll(() => e2e.page.url()).toContain('sort=nextRun');
    await expectNothingCutOff(e2e.page, 'jobs sorted at 390 px');
  });

  it('ran without Content Security Policy violations or page errors', () => {
    expect(e2e.cspViolations).toEqual([]);
    expect(e2e.pageErrors).toEqual([]);
  });
});

// The skip above must be visible, not silent: this runs either way.
it('knows whether a browser is available', () => {
  expect('path' in chromiumFound ? existsSync(chromiumFound.path) : skipReason).toBeTruthy();
});
