/**
 * A real browser for the docs tests: the system's Chromium (Debian's `/usr/bin/chromium`, or
 * `CHROMIUM_PATH`), driven by playwright-core. Nothing is downloaded.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The browser's executable, or why there is none. */
export function findChromium(): { path: string } | { reason: string } {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    return existsSync(configured) ? { path: configured } : { reason: `CHROMIUM_PATH=${configured} does not exist` };
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found) return { path: found };
  return { reason: `no Chromium found (looked for ${CANDIDATES.join(', ')}; set CHROMIUM_PATH to use another)` };
}

/** A headless browser with a new, empty profile; `close()` also deletes the profile. */
export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches the browser at `executablePath`: headless, sandbox off, no network beyond the pages opened. */
export async function launchChromium(executablePath: string): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'monque-docs-chromium-'));
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
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
