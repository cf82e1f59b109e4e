/**
 * Builds workspace packages for the tests that run a package as published (its `dist/`), so the
 * README's `npm install && npm test` works on a fresh clone, where nothing is built yet: a Vitest
 * global setup calls it before its project's tests. Turbo builds the package and what it depends
 * on; its cache makes this a second or two when nothing changed, and a changed source is rebuilt,
 * so a test never runs an old build.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));

/** `npx turbo run build` of `packages` (names like `@monque/nestjs`) and their dependencies. */
export function buildPackages(packages: readonly string[]): void {
  const started = Date.now();
  const args = ['turbo', 'run', 'build', ...packages.map((name) => `--filter=${name}`), '--output-logs=errors-only'];
  const build = spawnSync('npx', args, {
    cwd: REPOSITORY,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
  if (build.status !== 0) {
    throw new Error(`npx ${args.join(' ')} failed (exit ${build.status}):\n${build.stdout}\n${build.stderr}`);
  }
  const seconds = Math.round((Date.now() - started) / 1_000);
  process.stdout.write(`[monque tests] built ${packages.join(', ')} and their dependencies (${seconds} s)\n`);
}
