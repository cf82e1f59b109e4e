/**
 * Vitest global setup: builds the browser UI into dist/ui when it is missing or stale, so the API,
 * mount and browser tests serve the real page.
 */
import { ensureUiBuilt } from '../../scripts/ensure-ui-built.js';

export default async function setup(): Promise<void> {
  const took = await ensureUiBuilt();
  if (took !== null) process.stdout.write(`[dashboard tests] built the UI into dist/ui in ${took} ms\n`);
}
