/**
 * The built site in a real browser (the system's Chromium, headless): every page with a Mermaid
 * diagram, the home page (code beside the hero) and the program pages, at a desktop width and at a
 * phone width. Each diagram must be drawn (an SVG with its labels) and fit its column, and no page
 * may scroll sideways. Skipped, with the reason, when there is no Chromium.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { type Browser, findChromium, launchChromium } from './support/browser.js';
import { DIST_DIR } from './support/built-site.js';
import { type SiteServer, serveBuiltSite } from './support/site-server.js';

/** Built pages (paths under dist, without `.html`), except the generated API reference. */
function builtPages(dir = DIST_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'assets' || entry.name === 'reference' ? [] : builtPages(path);
    return entry.name.endsWith('.html') && entry.name !== '404.html' ? [relative(DIST_DIR, path).slice(0, -5)] : [];
  });
}

/** Pages whose HTML holds a diagram placeholder (drawn in the browser). */
const DIAGRAM_PAGES = builtPages().filter((page) =>
  readFileSync(join(DIST_DIR, `${page}.html`), 'utf8').includes('class="mermaid"'),
);
const OTHER_PAGES = ['index', 'getting-started/quickstart', 'examples/error-retry', 'guides/workflows'];
const WIDTHS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
];

const chromium = findChromium();

describe('the built site in Chromium', () => {
  let server: SiteServer;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!('path' in chromium)) return;
    server = await serveBuiltSite();
    browser = await launchChromium(chromium.path);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** The browser, or a visible skip naming why there is none. */
  function browserOrSkip(context: TestContext): Browser {
    if (browser) return browser;
    return context.skip('reason' in chromium ? chromium.reason : 'the browser did not start');
  }

  it('has pages with diagrams to check (the job state diagram at least)', () => {
    expect(DIAGRAM_PAGES).toContain('guides/job-states');
  });

  for (const viewport of WIDTHS) {
    for (const page of DIAGRAM_PAGES) {
      it(`${page} at ${viewport.width} px (${viewport.name}): every diagram is drawn and fits its column`, async (context) => {
        const tab = await browserOrSkip(context).context.newPage();
        const errors: string[] = [];
        tab.on('pageerror', (error) => errors.push(String(error)));
        try {
          await tab.setViewportSize({ width: viewport.width, height: viewport.height });
          await tab.goto(`${server.url}${page}.html`);
          const placeholders = await tab.locator('.vp-doc .mermaid').count();
          expect(placeholders).toBeGreaterThan(0);
          await tab.waitForFunction(
            (count) => document.querySelectorAll('.vp-doc .mermaid > svg').length === count,
            placeholders,
            { timeout: 30_000 },
          );
          const diagrams = await tab.$$eval('.vp-doc .mermaid', (containers) =>
            containers.map((container) => {
              const svg = container.querySelector(':scope > svg') as SVGSVGElement;
              const box = svg.getBoundingClientRect();
              return {
                svgWidth: box.width,
                svgHeight: box.height,
                containerWidth: container.getBoundingClientRect().width,
                text: svg.textContent ?? '',
                error: svg.querySelector('.error-icon, .error-text') !== null,
              };
            }),
          );
          for (const diagram of diagrams) {
            expect(diagram.error, 'Mermaid drew its error diagram').toBe(false);
            expect(diagram.svgWidth).toBeGreaterThan(100);
            expect(diagram.svgHeight).toBeGreaterThan(100);
            expect(diagram.svgWidth).toBeLessThanOrEqual(diagram.containerWidth + 0.5);
          }
          if (page === 'guides/job-states') {
            for (const state of ['waiting', 'pending', 'processing', 'completed', 'failed', 'cancelled', 'deleted']) {
              expect(diagrams[0]?.text).toContain(state);
            }
          }
          expect(await pageOverflow(tab)).toEqual({ overflow: 0 });
          expect(errors).toEqual([]);
        } finally {
          await tab.close();
        }
      });
    }

    for (const page of OTHER_PAGES) {
      it(`${page} at ${viewport.width} px (${viewport.name}): nothing scrolls sideways`, async (context) => {
        const tab = await browserOrSkip(context).context.newPage();
        const errors: string[] = [];
        tab.on('pageerror', (error) => errors.push(String(error)));
        try {
          await tab.setViewportSize({ width: viewport.width, height: viewport.height });
          await tab.goto(`${server.url}${page}.html`, { waitUntil: 'load' });
          if (page === 'index') {
            // The sample beside the hero is there, highlighted.
            await tab.locator('.VPHero .hero-code pre.shiki').waitFor();
            expect(await tab.locator('.VPHero .hero-code pre').textContent()).toContain("monque.enqueue('email'");
          }
          expect(await pageOverflow(tab)).toEqual({ overflow: 0 });
          expect(errors).toEqual([]);
        } finally {
          await tab.close();
        }
      });
    }
  }
});

/** How many pixels the page is wider than the window (0: no sideways scrolling). */
function pageOverflow(tab: import('playwright-core').Page): Promise<{ overflow: number }> {
  return tab.evaluate(() => ({
    overflow: Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth),
  }));
}
