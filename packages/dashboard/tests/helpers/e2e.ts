/**
 * What the browser tests share: Chromium with a page that records Content Security Policy
 * violations and page errors, the dashboard's standalone server on a collection, screenshots for
 * the docs, and layout checks (nothing wider than the window, nothing cut off inside a table).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from 'mongodb';
import type { Page, Request } from 'playwright-core';
import { expect } from 'vitest';
import { type StandaloneServer, startStandaloneServer } from '../../src/standalone-server.js';
import { findChromium, launchBrowser } from './browser.js';

export const chromiumFound = findChromium();
/** Why the browser tests skip, or `''`. */
export const skipReason = 'reason' in chromiumFound ? chromiumFound.reason : '';

const docsShots = fileURLToPath(new URL('../../../docs/public/dashboard/', import.meta.url));

/** A browser page on a dashboard, with what went wrong on it. */
export interface E2e {
  page: Page;
  server: StandaloneServer;
  cspViolations: string[];
  pageErrors: string[];
  /** Every `POST` the page sent to the API: its path and JSON body. */
  posts: Array<{ path: string; body: unknown }>;
  close(): Promise<void>;
}

/** Starts the standalone server on `collectionName` and a browser page (1280 × 860, UTC). */
export async function openDashboard(db: Db, collectionName: string): Promise<E2e> {
  const server = await startStandaloneServer({ db, collectionName, port: 0 });
  const browser = await launchBrowser((chromiumFound as { path: string }).path);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  const e2e: E2e = {
    page,
    server,
    cspViolations: [],
    pageErrors: [],
    posts: [],
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) e2e.cspViolations.push(message.text());
  });
  page.on('pageerror', (error) => e2e.pageErrors.push(String(error)));
  page.on('request', (request: Request) => {
    if (request.method() !== 'POST') return;
    const path = new URL(request.url()).pathname;
    e2e.posts.push({ path, body: JSON.parse(request.postData() ?? 'null') });
  });
  return e2e;
}

/** Dismisses the notices of earlier actions (they would cover part of a screenshot). */
export async function dismissNotices(page: Page): Promise<void> {
  const buttons = page.locator('.notice button[aria-label="Dismiss"]');
  while ((await buttons.count()) > 0) await buttons.first().click();
}

let tempShots: string | undefined;

/**
 * A screenshot of the window (the whole page with `fullPage`, the content's height with `fit`): into
 * packages/docs/public/dashboard/ when it is missing there or with UPDATE_SCREENSHOTS=1 (look at it
 * before committing it), else into a temporary folder (SHOTS_DIR names one to look at).
 */
export async function screenshot(
  page: Page,
  name: string,
  { fullPage = false, fit = false }: { fullPage?: boolean; fit?: boolean } = {},
): Promise<string> {
  tempShots ??= process.env.SHOTS_DIR ?? (await mkdtemp(join(tmpdir(), 'monque-dashboard-shots-')));
  const target = process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(join(docsShots, name)) ? docsShots : tempShots;
  await mkdir(target, { recursive: true });
  const path = join(target, name);
  await dismissNotices(page);
  const size = page.viewportSize();
  // `fit`: as tall as the content, not the window (a short page without empty space below it).
  if (fit && size) await page.setViewportSize({ width: size.width, height: 200 });
  try {
    await page.screenshot({ path, fullPage: fullPage || fit });
  } finally {
    if (fit && size) await page.setViewportSize(size);
  }
  return path;
}

/**
 * Checks that nothing is cut off: the page is no wider than the window, and no table cell hides
 * its content (a cell's content wider than the cell, unless it ends in an ellipsis on purpose).
 */
export async function expectNothingCutOff(page: Page, label: string): Promise<void> {
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
  expect(overflow, `${label}: page wider than the window`).toBeLessThanOrEqual(0);
  const clipped = await page.evaluate<string[]>(`[...document.querySelectorAll('.table-wrap')]
    .filter((wrap) => wrap.scrollWidth > wrap.clientWidth + 1)
    .map((wrap) => wrap.querySelector('table')?.className ?? '?')`);
  expect(clipped, `${label}: tables that need a horizontal scroll`).toEqual([]);
}

/** The page's `display` of the first element matching `selector`. */
export function displayOf(page: Page, selector: string): Promise<string> {
  return page.evaluate<string>(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).display`);
}
