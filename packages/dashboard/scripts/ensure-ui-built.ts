/**
 * Builds the browser UI into dist/ui when it is missing or older than its sources (ui/,
 * src/shared/, vite.config.ts). Used by the test setup and by `npm run dashboard`, so both serve
 * the real page without a separate build step; an up-to-date build is left alone.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

function newestFile(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestFile(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether dist/ui is missing or older than the code it is built from. */
export function uiNeedsBuild(): boolean {
  const built = join(packageDir, 'dist', 'ui', 'index.html');
  if (!existsSync(built)) return true;
  const sources = Math.max(
    newestFile(join(packageDir, 'ui')),
    newestFile(join(packageDir, 'src', 'shared')),
    statSync(join(packageDir, 'vite.config.ts')).mtimeMs,
  );
  return statSync(built).mtimeMs < sources;
}

/** Builds the UI if needed; resolves to the build time in ms, or `null` when it was up to date. */
export async function ensureUiBuilt(): Promise<number | null> {
  if (!uiNeedsBuild()) return null;
  const started = Date.now();
  const { build } = await import('vite');
  await build({ configFile: join(packageDir, 'vite.config.ts'), logLevel: 'error' });
  return Date.now() - started;
}
