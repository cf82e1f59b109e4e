/**
 * Vitest global setup of the docs project: the tests read the BUILT site, so build it
 * (`npm run build -w packages/docs`: TypeDoc, then VitePress) when it is missing or older than
 * any of its sources. It needs no package built first (TypeDoc reads their sources), so the
 * README's `npm install && npm test` works on a fresh clone; `.ci/run` runs exactly that.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DIST_DIR, DOCS_DIR } from './built-site.js';

/** Not sources of the site: outputs, dependencies, the tests, and this package's README. */
const NOT_SOURCES = new Set([
  'README.md',
  'node_modules',
  '.turbo',
  'tests',
  join('.vitepress', 'dist'),
  join('.vitepress', 'cache'),
  join('api', 'reference'),
]);

/** The newest modification time of the site's sources (pages, snippets, config, theme). */
function newestSourceTime(dir: string): { time: number; file: string } {
  let newest = { time: 0, file: '' };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (NOT_SOURCES.has(relative(DOCS_DIR, path)) || entry.name === 'node_modules' || entry.name === 'dist') continue;
    const candidate = entry.isDirectory() ? newestSourceTime(path) : { time: statSync(path).mtimeMs, file: path };
    if (candidate.time > newest.time) newest = candidate;
  }
  return newest;
}

/** Sources outside the docs package that pages include (the NestJS guide shows the example's files). */
const OUTSIDE_SOURCES = [join(DOCS_DIR, '..', 'nestjs', 'examples')];

export default function setup(): void {
  const builtPage = join(DIST_DIR, 'index.html');
  const builtAt = existsSync(builtPage) ? statSync(builtPage).mtimeMs : 0;
  const source = [DOCS_DIR, ...OUTSIDE_SOURCES]
    .filter((dir) => existsSync(dir))
    .map((dir) => newestSourceTime(dir))
    .reduce((newest, candidate) => (candidate.time > newest.time ? candidate : newest));
  if (builtAt > source.time) return;
  const why = builtAt === 0 ? 'not built yet' : `older than ${relative(DOCS_DIR, source.file)}`;
  process.stdout.write(`[docs tests] the site is ${why}: building it (npm run build -w packages/docs)\n`);
  const started = Date.now();
  const build = spawnSync('npm', ['run', 'build'], {
    cwd: DOCS_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (build.status !== 0) {
    throw new Error(`building the docs site failed (exit ${build.status}):\n${build.stdout}\n${build.stderr}`);
  }
  process.stdout.write(`[docs tests] site built in ${Math.round((Date.now() - started) / 1000)} s\n`);
}
