/**
 * The Vitest configuration of mutation runs (`npm run test:mutation`, see stryker.config.mjs and
 * CONTRIBUTING.md): the core tests only, as one project with the embedded test backend started by
 * the global setup, the fastest and most pointed tests first.
 *
 * Left out, because they cannot kill a mutant and cost a fifth of the suite's time: the tests that
 * run the code in child processes (Stryker switches mutants inside its own worker process only, so
 * a child always runs the original code) and the test of the packed build (it runs `dist/`, which
 * is never mutated).
 *
 * `STRYKER_TESTS` narrows the run while iterating on one file: comma-separated globs relative to
 * packages/core, e.g. `STRYKER_TESTS='tests/store/**' npx stryker run --mutate packages/core/src/store/lock-store.ts`.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import type { TestSpecification } from 'vitest/node';
import { BaseSequencer } from 'vitest/node';

const coreRoot = fileURLToPath(new URL('./packages/core/', import.meta.url));

/** Test files whose code runs in child processes or from the build (see above). */
export const OUT_OF_PROCESS_TESTS = [
  'tests/multi-process.test.ts',
  'tests/demo.test.ts',
  'tests/telemetry/packed-build.test.ts',
  'tests/telemetry/gauge-release.test.ts',
];

/**
 * Folders whose tests run first, in this order: the store's guards checked directly (quick, and a
 * broken guard fails at once), then the engine's guards (black-box, a little slower).
 */
const FIRST = ['tests/store/', 'tests/guards/'];

/**
 * Runs the guard and store tests first, then every other file from the quickest to the slowest
 * (by the durations Vitest remembers; unknown files by size). A mutant run stops at its first
 * failing test, so the sooner a precise test runs, the sooner a mutant is killed. (Vitest's own
 * order runs the slowest first, which suits parallel runs, not a run that stops early.)
 */
class QuickestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const rank = (spec: TestSpecification) => {
      const path = relative(coreRoot, spec.moduleId).split('\\').join('/');
      const group = FIRST.findIndex((folder) => path.startsWith(folder));
      const key = `${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`;
      const duration = cache.getFileTestResults(key)?.duration;
      const size = cache.getFileStats(key)?.size ?? 0;
      return { group: group === -1 ? FIRST.length : group, known: duration === undefined ? 1 : 0, duration, size };
    };
    const ranked = files.map((spec) => ({ spec, rank: rank(spec) }));
    ranked.sort(
      (a, b) =>
        a.rank.group - b.rank.group ||
        a.rank.known - b.rank.known ||
        (a.rank.duration ?? 0) - (b.rank.duration ?? 0) ||
        a.rank.size - b.rank.size,
    );
    return ranked.map(({ spec }) => spec);
  }
}

// biome-ignore lint/suspicious/noUndeclaredEnvVars: mutation runs are not a turbo task
const narrowed = process.env.STRYKER_TESTS?.split(',')
  .map((glob) => glob.trim())
  .filter((glob) => glob !== '')
  // A folder glob (`tests/store/**`) means the test files in it, not its helpers.
  .map((glob) => (glob.endsWith('.ts') ? glob : `${glob.replace(/\/+$/, '')}/*.test.ts`));

export default defineConfig({
  root: coreRoot,
  test: {
    name: 'core',
    include: narrowed && narrowed.length > 0 ? narrowed : ['tests/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...OUT_OF_PROCESS_TESTS],
    globalSetup: ['../../tools/test-backend/src/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // The test files share one module graph: each mutant run loads the driver and the code once,
    // not once per file (3× quicker). Static mutants then cannot be switched (stryker.config.mjs).
    isolate: false,
    sequence: { sequencer: QuickestFirstSequencer },
  },
  resolve: {
    alias: {
      '@monque/test-backend': fileURLToPath(new URL('./tools/test-backend/src/index.ts', import.meta.url)),
      '@monque/core': fileURLToPath(new URL('./packages/core/src/index.ts', import.meta.url)),
    },
  },
});
