/**
 * Finding and starting a headless Chromium for the end-to-end tests (playwright-core drives the
 * system browser; no browser is downloaded). Without one the tests skip and say why.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/** The browser to use (`MONQUE_CHROMIUM` first), or why there is none. */
export function findChromium(): { path: string } | { reason: string } {
  const fromEnv = process.env.MONQUE_CHROMIUM;
  if (fromEnv) return existsSync(fromEnv) ? { path: fromEnv } : { reason: `MONQUE_CHROMIUM=${fromEnv} does not exist` };
  const path = CANDIDATES.find((candidate) => existsSync(candidate));
  return path
    ? { path }
    : {
        reason: `no Chromium found (looked for ${CANDIDATES.join(', ')}; on Debian: apt-get install -y chromium, or set MONQUE_CHROMIUM)`,
      };
}

/** A headless browser with a fresh profile; `close()` removes the profile. */
export async function launchBrowser(
  executablePath: string,
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(join(tmpdir(), 'monque-dashboard-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 860 },
    colorScheme: 'light',
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
