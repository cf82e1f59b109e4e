/**
 * Vitest global setup: builds the browser UI into dist/ui when it is missing or older than its
 * sources, so the API, mount and browser tests serve the real page. A fresh build takes a few
 * seconds; an up-to-date one is left alone.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether dist/ui is missing or older than ui/ and src/shared/ (the code the UI imports). */
export function uiNeedsBuild(): boolean {
  const built = join(packageDir, 'dist', 'ui', 'index.html');
  if (!existsSync(built)) return true;
  const sources = Math.max(
    newestSource(join(packageDir, 'ui')),
    newestSource(join(packageDir, 'src', 'shared')),
    statSync(join(packageDir, 'vite.config.ts')).mtimeMs,
  );
  return statSync(built).mtimeMs < sources;
}

export default async function setup(): Promise<void> {
  if (!uiNeedsBuild()) return;
  const started = Date.now();
  const { build } = await import('vite');
  await build({ configFile: join(packageDir, 'vite.config.ts'), logLevel: 'error' });
  process.stdout.write(`[dashboard tests] built the UI into dist/ui in ${Date.now() - started} ms\n`);
}
