/**
 * Finding and starting a headless Chromium for the end-to-end tests (playwright-core drives the
 * system browser; no browser is downloaded). Without one the tests skip and say why.
 */
import type { TestBrowser } from '../../../../tools/test-backend/src/browser.js';
import { findChromium, launchChromium } from '../../../../tools/test-backend/src/browser.js';

export { findChromium };

/** A headless browser with a fresh profile at a desktop size, light, UTC; `close()` removes the profile. */
export function launchBrowser(executablePath: string): Promise<TestBrowser> {
  return launchChromium(executablePath, {
    viewport: { width: 1280, height: 860 },
    colorScheme: 'light',
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
}
