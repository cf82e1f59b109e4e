/**
 * A real browser for the docs tests: the system's Chromium, driven by playwright-core (shared with the
 * dashboard's browser tests; see tools/test-backend/src/browser.ts). Nothing is downloaded.
 */
export {
  findChromium,
  launchChromium,
  type TestBrowser as Browser,
} from '../../../../tools/test-backend/src/browser.js';
