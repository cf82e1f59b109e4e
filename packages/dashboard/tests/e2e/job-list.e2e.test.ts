/**
 * The job list in headless Chromium: a filter that cannot be parsed disables the list, the count
 * and every bulk action (it once widened a delete to every job); the list, the count, the
 * confirmation and the request come from one parsed filter; a failed count says so; selected rows
 * are acted on by id; order, statuses and page live in the URL and survive a reload; a job is found
 * by id from the header; the table fits 1280 px and becomes cards at 390 px.
 */
import { existsSync } from 'node:fs';
import type { Job } from '@monque/core';
import { freshCollectionName } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTCOME_UNKNOWN } from '../../src/http/error-status.js';
import {
  chromiumFound,
  dismissNotices,
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
const MINUTE = 60_000;

describe.skipIf(Boolean(skipReason))(`the job list in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let db: Db;
  let collectionName: string;
  let e2e: E2e;
  let images: Job[];
  const apiReads: string[] = [];

  const jobs = () => db.collection<Job>(collectionName);
  const open = async (hash: string): Promise<void> => {
    await e2e.page.goto(`${e2e.server.url}${hash}`);
    await e2e.page.locator('h1#jobs-title').waitFor();
  };
  const bulkButtons = () => e2e.page.locator('fieldset.bulk button');

  beforeAll(async () => {
    db = await getDb();
    collectionName = freshCollectionName(db, 'e2e-list');
    const now = Date.now();
    await insertJobs(db, collectionName, [
      ...[7, 42, 1001].map((id) => ({
        name: 'send-email',
        status: 'completed' as const,
        data: { to: `customer${id}@example.com`, customer: { id } },
      })),
      { name: 'generate-report', status: 'pending', data: { customer: { id: 42 }, month: '2025-05' } },
      { name: 'export-csv', status: 'cancelled', data: { customer: { id: 2024 } } },
      { name: 'sync-crm', status: 'failed', data: { customer: { id: 42 }, batch: 3 } },
      { name: 'sync-crm', status: 'completed', data: { customer: { id: 7 }, batch: 2 } },
    ]);
    images = await insertJobs(
      db,
      collectionName,
      Array.from({ length: 60 }, (_, index) => {
        const status =
          index % 6 === 0 ? ('failed' as const) : index % 6 === 1 ? ('pending' as const) : ('completed' as const);
        const started = new Date(now - (120 - index) * MINUTE);
        return {
          name: 'resize-image',
          status,
          data: { file: `photo-${index}.jpg`, width: 640 },
          createdAt: new Date(now - (130 - index) * MINUTE),
          // Due times in another order than creation: sorting by next run must reorder the rows.
          nextRunAt: new Date(now + ((index * 37) % 60) * MINUTE),
          startedAt: started,
          attempts: status === 'pending' ? 0 : 1,
          ...(status === 'pending' ? {} : { finishedAt: new Date(started.getTime() + 1500 + index * 100) }),
          ...(status === 'failed' ? { failReason: 'image is not a JPEG (got a PNG header)' } : {}),
        };
      }),
    );
    e2e = await openDashboard(db, collectionName);
    e2e.page.on('request', (request) => {
      const url = new URL(request.url());
      if (request.method() === 'GET' && url.pathname.startsWith('/api/jobs'))
        apiReads.push(`${url.pathname}${url.search}`);
    });
  });

  afterAll(async () => {
    await e2e?.close();
  });

  it('an unparsable data filter disables the list, the count and every bulk action, and asks nothing', async () => {
    const before = await jobs().countDocuments({});
    for (const hash of [
      '#/jobs?data=ab',
      '#/jobs?nmae=send-email',
      '#/jobs?status=done',
      '#/jobs?data=a%3D%7B%7D',
      '#/jobs?createdAfter=7',
      '#/jobs?createdBefore=2025-02-30',
    ]) {
      apiReads.length = 0;
      await open(hash);
      await e2e.page.locator('.error-banner').waitFor();
      expect(await e2e.page.locator('.error-banner').textContent(), hash).toContain('This filter cannot be used');
      expect(await bulkButtons().count(), hash).toBe(3);
      for (const button of await bulkButtons().all()) expect(await button.isDisabled(), hash).toBe(true);
      expect(await e2e.page.locator('table.jobs').count(), hash).toBe(0);
      expect(await e2e.page.locator('.count').textContent(), hash).toBe('No list');
      expect(apiReads, hash).toEqual([]);
    }
    expect(e2e.posts).toEqual([]);
    expect(await jobs().countDocuments({})).toBe(before);
  });

  it('a data filter on a field named __proto__ selects only the jobs that have it, in the list, the count and the delete', async () => {
    await insertJobs(db, collectionName, [
      ...[1, 2, 3].map((k) => ({ name: 'proto-a', status: 'failed' as const, data: { k } })),
      { name: 'proto-a', status: 'failed', data: JSON.parse('{"__proto__":5}') },
    ]);
    e2e.posts.length = 0;
    await open('#/jobs');
    await e2e.page.getByLabel('Name', { exact: true }).fill('proto-a');
    await e2e.page.getByLabel('Data field').fill('__proto__ = 5');
    await e2e.page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => e2e.page.locator('.count').textContent()).toBe('1 matching job');
    expect(await e2e.page.locator('table.jobs tbody tr').count()).toBe(1);
    await e2e.page.getByRole('button', { name: 'Delete matching…' }).click();
    const dialog = e2e.page.locator('dialog.confirm');
    expect(await dialog.locator('p').textContent()).toBe(
      'Delete the jobs that are not running among the 1 job matching name proto-a, data __proto__ = 5.',
    );
    await dialog.getByRole('button', { name: 'Delete jobs' }).click();
    await e2e.page.getByText('Deleted 1 job', { exact: true }).waitFor();
    expect(JSON.stringify(e2e.posts)).toBe(
      '[{"path":"/api/jobs/delete","body":{"name":"proto-a","data":{"__proto__":5}}}]',
    );
    expect(await jobs().countDocuments({ name: 'proto-a' })).toBe(3);
    await jobs().deleteMany({ name: 'proto-a' });
    e2e.posts.length = 0;
  });

  it('the count, the confirmation and the request are built from the one filter the list shows', async () => {
    await open('#/jobs');
    await e2e.page.getByLabel('Data field').fill('customer.id = 42');
    await e2e.page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => e2e.page.locator('.count').textContent()).toBe('3 matching jobs');
    expect(await e2e.page.locator('table.jobs tbody tr').count()).toBe(3);
    await e2e.page.getByRole('button', { name: 'Delete matching…' }).click();
    const dialog = e2e.page.locator('dialog.confirm');
    expect(await dialog.locator('p').textContent()).toBe(
      'Delete the jobs that are not running among the 3 jobs matching data customer.id = 42.',
    );
    await dialog.getByRole('button', { name: 'Delete jobs' }).click();
    await e2e.page.getByText('Deleted 3 jobs').waitFor();
    expect(e2e.posts).toEqual([{ path: '/api/jobs/delete', body: { data: { 'customer.id': 42 } } }]);
    expect(await jobs().countDocuments({ 'data.customer.id': 42 })).toBe(0);
    expect(await jobs().countDocuments({})).toBe(64);

    // No filter: the request says "all" explicitly; declining the dialog sends nothing.
    e2e.posts.length = 0;
    await e2e.page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => e2e.page.locator('.count').textContent()).toBe('64 matching jobs');
    await e2e.page.getByRole('button', { name: 'Delete matching…' }).click();
    expect(await dialog.locator('p').textContent()).toContain('matching no filter: every job');
    await dialog.getByRole('button', { name: 'Keep as is' }).click();
    await e2e.page.getByRole('button', { name: 'Retry matching…' }).click();
    await dialog.getByRole('button', { name: 'Retry jobs' }).click();
    await e2e.page.getByText(/^Retried \d+ jobs?$/).waitFor();
    expect(e2e.posts).toEqual([{ path: '/api/jobs/retry', body: { all: true } }]);
  });

  it('a failed count says so, and the bulk actions stay off until the count answers', async () => {
    await e2e.page.route('**/api/jobs/count**', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: '{"error":"the database cannot be reached"}',
      }),
    );
    await open('#/jobs?name=resize-image');
    await expect
      .poll(() => e2e.page.locator('.count').textContent())
      .toBe('Could not count the matching jobs: the database cannot be reached');
    for (const button of await bulkButtons().all()) expect(await button.isDisabled()).toBe(true);
    await e2e.page.unroute('**/api/jobs/count**');
    await e2e.page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => e2e.page.locator('.count').textContent()).toBe('60 matching jobs');
    expect(await bulkButtons().first().isDisabled()).toBe(false);
  });

  it('a bulk action whose outcome is unknown says so, never that it failed', async () => {
    // The answer the server gives when the reply of the delete was lost (tests/faults.test.ts).
    await e2e.page.route('**/api/jobs/delete', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: OUTCOME_UNKNOWN, mayHaveBeenApplied: true }),
      }),
    );
    try {
      await open('#/jobs?name=resize-image');
      await expect.poll(() => e2e.page.locator('.count').textContent()).toBe('60 matching jobs');
      await e2e.page.getByRole('button', { name: 'Delete matching…' }).click();
      await e2e.page.locator('dialog.confirm').getByRole('button', { name: 'Delete jobs' }).click();
      const notice = e2e.page.locator('.notice').filter({ hasText: 'outcome unknown' });
      await notice.waitFor();
      expect(await notice.textContent()).toContain(`Delete: outcome unknown, ${OUTCOME_UNKNOWN}`);
      expect(await e2e.page.locator('.notice').filter({ hasText: 'failed' }).count()).toBe(0);
    } finally {
      await e2e.page.unroute('**/api/jobs/delete');
      await dismissNotices(e2e.page);
    }
  });

  it('selected rows are acted on by their ids', async () => {
    e2e.posts.length = 0;
    await open('#/jobs?name=resize-image&status=completed');
    await expect.poll(() => e2e.page.locator('.count').textContent()).toBe('40 matching jobs');
    const rows = e2e.page.locator('table.jobs tbody tr');
    const picked = [await rows.nth(0).getAttribute('data-id'), await rows.nth(2).getAttribute('data-id')];
    for (const id of picked) await e2e.page.getByLabel(`Select job ${id}`).check();
    await e2e.page.getByRole('button', { name: 'Delete selected (2)' }).click();
    expect(await e2e.page.locator('dialog.confirm p').textContent()).toBe(
      'Delete the jobs that are not running among the 2 selected jobs.',
    );
    await e2e.page.getByRole('button', { name: 'Delete jobs' }).click();
    await e2e.page.getByText('Deleted 2 jobs').waitFor();
    expect(e2e.posts).toEqual([{ path: '/api/jobs/delete', body: { ids: picked } }]);
    await expect.poll(() => e2e.page.locator('.count').textContent()).toBe('38 matching jobs');
    expect(
      await jobs().countDocuments({
        _id: { $in: images.filter((job) => picked.includes(job._id.toHexString())).map((job) => job._id) },
      }),
    ).toBe(0);
    expect(await e2e.page.getByRole('button', { name: /selected/ }).count()).toBe(0);
  });

  it('a selected row that leaves the list (another operator retried it) is no longer selected', async () => {
    const [gone, stays] = await insertJobs(db, collectionName, [
      { name: 'stale-pick', status: 'failed' },
      { name: 'stale-pick', status: 'failed' },
    ]);
    const goneId = gone?._id.toHexString() as string;
    e2e.posts.length = 0;
    await open('#/jobs?name=stale-pick&status=failed');
    await expect.poll(() => e2e.page.locator('.count').textContent()).toBe('2 matching jobs');
    await e2e.page.getByLabel(`Select job ${goneId}`).check();
    await e2e.page.getByRole('button', { name: 'Delete selected (1)' }).waitFor();
    // Another operator retries it: it is pending now, so the list of failed jobs drops it.
    await jobs().updateOne({ _id: gone?._id }, { $set: { status: 'pending', failCount: 0 } });
    await e2e.page.getByRole('button', { name: 'Refresh' }).click();
    await e2e.page.locator(`tr[data-id="${goneId}"]`).waitFor({ state: 'detached' });
    await expect.poll(() => e2e.page.locator('.count').textContent()).toBe('1 matching job');
    expect(await e2e.page.getByRole('button', { name: /selected/ }).count()).toBe(0);
    await e2e.page.getByRole('button', { name: 'Delete matching…' }).click();
    await e2e.page.locator('dialog.confirm').getByRole('button', { name: 'Delete jobs' }).click();
    await e2e.page.getByText('Deleted 1 job', { exact: true }).waitFor();
    expect(e2e.posts.map((request) => request.body)).toEqual([{ name: 'stale-pick', status: ['failed'] }]);
    expect(await jobs().countDocuments({ _id: gone?._id })).toBe(1);
    expect(await jobs().countDocuments({ _id: stays?._id })).toBe(0);
    await jobs().deleteMany({ name: 'stale-pick' });
    e2e.posts.length = 0;
  });

  it('order, statuses and page are in the URL, and a reload keeps them', async () => {
    await open('#/jobs?name=resize-image');
    await e2e.page.getByRole('button', { name: /^Next run/ }).click();
    await expect.poll(() => e2e.page.url()).toContain('sort=nextRun');
    // The rows come soonest due first: their stored due times never go down.
    const dueTimes = async (): Promise<number[]> => {
      const ids = await e2e.page
        .locator('table.jobs tbody tr')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-id') ?? ''));
      const docs = await jobs()
        .find({ _id: { $in: images.filter((job) => ids.includes(job._id.toHexString())).map((job) => job._id) } })
        .toArray();
      const due = new Map(docs.map((doc) => [doc._id.toHexString(), doc.nextRunAt.getTime()]));
      return ids.map((id) => due.get(id) ?? Number.NaN);
    };
    await expect
      .poll(async () => {
        const due = await dueTimes();
        return due.length === 50 && due.every((time, index) => index === 0 || time >= (due[index - 1] as number));
      })
      .toBe(true);
    const lastOnPage1 = (await dueTimes()).at(-1) as number;
    await e2e.page.getByRole('button', { name: 'Next', exact: true }).click();
    await expect.poll(() => e2e.page.url()).toContain('pages=');
    await e2e.page.getByText('Page 2').waitFor();
    // Page 2 goes on where page 1 stopped.
    await expect.poll(async () => ((await dueTimes())[0] ?? -1) >= lastOnPage1).toBe(true);
    const firstOnPage2 = await e2e.page.locator('table.jobs tbody tr').first().getAttribute('data-id');
    await e2e.page.reload();
    await e2e.page.getByText('Page 2').waitFor();
    await expect.poll(() => e2e.page.locator('table.jobs tbody tr').first().getAttribute('data-id')).toBe(firstOnPage2);
    expect(await e2e.page.locator('th[aria-sort="ascending"]').textContent()).toContain('Next run');

    await e2e.page.getByRole('checkbox', { name: 'failed' }).check();
    await e2e.page.getByRole('checkbox', { name: 'pending' }).check();
    await e2e.page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => e2e.page.url()).toContain('status=pending%2Cfailed');
    await expect.poll(() => e2e.page.locator('.count').textContent()).toBe('20 matching jobs');
    expect(e2e.page.url()).not.toContain('pages=');
    await e2e.page.reload();
    await expect.poll(() => e2e.page.locator('.count').textContent()).toBe('20 matching jobs');
    expect(await e2e.page.getByRole('checkbox', { name: 'failed' }).isChecked()).toBe(true);
  });

  it('finds a job by id from the header of any view', async () => {
    const target = images[5] as Job;
    await e2e.page.goto(e2e.server.url);
    const search = e2e.page.getByRole('search', { name: 'Find a job by id' });
    await search.getByLabel('Job id').fill('not an id');
    await search.getByRole('button', { name: 'Find' }).click();
    await search.getByText('A job id is 24 hexadecimal digits').waitFor();
    await search.getByLabel('Job id').fill(`  ${target._id.toHexString().toUpperCase()} `);
    await search.getByRole('button', { name: 'Find' }).click();
    await e2e.page.getByRole('heading', { name: /resize-image/ }).waitFor();
    expect(e2e.page.url()).toContain(`#/jobs/${target._id.toHexString()}`);
  });

  it('fits 1280 px without cutting anything off, and shows cards at 390 px', async () => {
    await open('#/jobs?name=resize-image&sort=finished');
    await e2e.page.locator('table.jobs tbody tr').first().waitFor();
    await e2e.page
      .getByLabel(`Select job ${await e2e.page.locator('table.jobs tbody tr').nth(1).getAttribute('data-id')}`)
      .check();
    await screenshot(e2e.page, 'job-list-selection.png');
    await expectNothingCutOff(e2e.page, 'job list at 1280 px');
    expect(await e2e.page.locator('table.jobs tbody tr').first().locator('time').first().getAttribute('title')).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(UTC\)$/,
    );
    await e2e.page.setViewportSize({ width: 390, height: 844 });
    try {
      // Reloaded at phone width: the filters start folded, the jobs come first.
      await e2e.page.reload();
      await e2e.page.locator('table.jobs tbody tr').first().waitFor();
      expect(await e2e.page.locator('details.filters-panel').getAttribute('open')).toBeNull();
      await screenshot(e2e.page, 'job-list-phone.png');
      await expectNothingCutOff(e2e.page, 'job list at 390 px');
      expect(await displayOf(e2e.page, 'table.jobs tbody td[data-label]')).toBe('flex');
    } finally {
      await e2e.page.setViewportSize({ width: 1280, height: 860 });
    }
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
