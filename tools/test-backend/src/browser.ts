/**
 * The system's Chromium for browser tests (the docs pages, the dashboard), driven by playwright-core:
 * nothing is downloaded. `MONQUE_CHROMIUM` (or `CHROMIUM_PATH`) picks another browser; without one
 * the tests skip and say why.
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

/** The browser to use, or why there is none. */
export function findChromium(): { path: string } | { reason: string } {
  const variable = process.env.MONQUE_CHROMIUM ? 'MONQUE_CHROMIUM' : 'CHROMIUM_PATH';
  const configured = process.env[variable];
  if (configured)
    return existsSync(configured) ? { path: configured } : { reason: `${variable}=${configured} does not exist` };
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found) return { path: found };
  return {
    reason: `no Chromium found (looked for ${CANDIDATES.join(', ')}; on Debian: apt-get install -y chromium, or set MONQUE_CHROMIUM)`,
  };
}

/** A headless browser with a new, empty profile; `close()` also deletes the profile. */
export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches the browser at `executablePath`: headless, sandbox off, none of the browser's own network
 * traffic (this machine's network is closed), a fresh profile. `context` options (viewport, colour
 * scheme, locale …) are passed on.
 */
export async function launchChromium(
  executablePath: string,
  context: Omit<Parameters<typeof chromium.launchPersistentContext>[1], 'executablePath' | 'args'> = {},
): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'monque-chromium-'));
  const launched = await chromium.launchPersistentContext(profile, {
    headless: true,
    ...context,
    executablePath,
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
  });
  return {
    context: launched,
    close: async () => {
      await launched.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
