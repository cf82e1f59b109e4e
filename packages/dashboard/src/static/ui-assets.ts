/**
 * The browser UI, built by Vite into `dist/ui` when the package is built, served from memory.
 * Only files found there at start are served (the request path is a key into that list, never a
 * path on disk), so nothing outside the UI folder can be reached.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file of the UI. */
export interface UiAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** Vite's hashed file names never change content: cache them for a year. */
  readonly immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

function moduleDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}

/**
 * Where the built UI is: `dist/ui` beside the bundled server (`dist/index.mjs`), or, when running
 * from source (tests), the package's `dist/ui`.
 */
export function findUiDirectory(from = moduleDir()): string | undefined {
  const candidates = [join(from, 'ui'), join(from, '..', 'ui'), join(from, '..', '..', 'dist', 'ui')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

function listFiles(dir: string, root = dir, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) listFiles(path, root, out);
    else out.push(relative(root, path).split(sep).join('/'));
  }
  return out;
}

/** Loads every file of the UI into memory, keyed by its path relative to the UI folder. */
export function loadUiAssets(dir: string | undefined): ReadonlyMap<string, UiAsset> {
  const assets = new Map<string, UiAsset>();
  if (!dir) return assets;
  for (const file of listFiles(dir)) {
    const type = TYPES[extname(file)];
    if (!type) continue;
    assets.set(file, {
      body: readFileSync(join(dir, file)),
      contentType: type,
      immutable: file.startsWith('assets/'),
    });
  }
  return assets;
}
