/**
 * A job's place in a workflow, in headless Chromium: on a flow's root, its progress (n of m done),
 * the jobs it waits for and the jobs waiting for it, each with its status and a link that leads to
 * that job's page; waiting jobs counted on the overview; 1280 px and 390 px layouts.
 */
import type { Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2e, expectNothingCutOff, openDashboard, skipReason } from '../helpers/e2e.js';
import { freshMonque, useDashboardDb } from '../helpers/jobs.js';

if (skipReason) process.stderr.write(`[dashboard e2e] skipped: ${skipReason}\n`);
const getDb = useDashboardDb(import.meta.url);

describe.skipIf(Boolean(skipReason))(`workflows in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let db: Db;
  let collectionName: string;
  let e2e: E2e;
  let root: string;
  let pages: string[];
  let notify: string;

  beforeAll(async () => {
    db = await getDb();
    const monque = freshMonque(db);
    collectionName = (monque as unknown as { options: { collectionName: string } }).options.collectionName;
    const tree = await monque.flow({
      name: 'merge-pdf',
      data: { title: 'Q3' },
      children: [1, 2, 3].map((page) => ({ name: 'render-page', data: { page } })),
    });
    root = tree.job._id.toHexString();
    pages = tree.children.map((child) => child.job._id.toHexString());
    await db
      .collection(collectionName)
      .updateOne({ _id: tree.children[0]?.job._id }, { $set: { status: 'completed' } });
    notify = (await monque.enqueue('email-report', {}, { dependsOn: [tree.job._id] }))._id.toHexString();
    e2e = await openDashboard(db, collectionName);
  });

  afterAll(async () => {
    await e2e?.close();
    await db?.collection(collectionName).deleteMany({});
  });

  it('a flow’s root shows its progress, the jobs it waits for and those waiting for it, with statuses', async () => {
    await e2e.page.goto(`${e2e.server.url}#/jobs/${root}`);
    const panel = e2e.page.locator('section.workflow');
    await panel.locator('.flow-progress').waitFor();
    expect(await panel.locator('.flow-progress').textContent()).toContain('1 of 4 done');
    expect(await panel.getByRole('heading', { name: 'Waits for (3)' }).count()).toBe(1);
    const waitsFor = panel.locator('ul.job-links').first().locator('li');
    expect(
      await waitsFor.evaluateAll((items) => items.map((item) => item.textContent?.replace(/\s+/g, ' ').trim())),
    ).toEqual(pages.map((id, index) => `${index === 0 ? 'completed' : 'pending'} render-page ${id.slice(-8)}`));
    expect(await panel.getByRole('heading', { name: 'Waited for by (1)' }).count()).toBe(1);
    expect(await panel.locator(`a[href="#/jobs/${notify}"]`).textContent()).toBe('email-report');
    expect(await panel.textContent()).toContain('When one does not complete: it is cancelled.');
    await expectNothingCutOff(e2e.page, 'job page at 1280 px');
    expect(e2e.pageErrors).toEqual([]);
  });

  it('a link leads to that job, whose page shows what waits for it', async () => {
    await e2e.page.locator(`section.workflow a[href="#/jobs/${pages[1]}"]`).click();
    const panel = e2e.page.locator('section.workflow');
    await panel.getByRole('heading', { name: 'Waited for by (1)' }).waitFor();
    expect(await panel.locator(`a[href="#/jobs/${root}"]`).first().textContent()).toBe('Flow');
    expect(await panel.locator(`ul.job-links a[href="#/jobs/${root}"]`).textContent()).toBe('merge-pdf');
    expect(await panel.getByRole('heading', { name: 'Waits for (0)' }).count()).toBe(1);
  });

  it('the overview counts waiting jobs; at phone width nothing is cut off', async () => {
    await e2e.page.goto(e2e.server.url);
    const row = e2e.page.locator('tr[data-name="merge-pdf"]');
    await row.waitFor();
    expect(await row.getByRole('link', { name: '1 waiting jobs named merge-pdf' }).count()).toBe(1);
    await e2e.page.setViewportSize({ width: 390, height: 844 });
    await e2e.page.goto(`${e2e.server.url}#/jobs/${root}`);
    await e2e.page.locator('section.workflow .flow-progress').waitFor();
    await expectNothingCutOff(e2e.page, 'job page at 390 px');
  });
});
