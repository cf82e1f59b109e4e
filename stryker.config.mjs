// @ts-check
/**
 * Mutation testing of the core's store and engine (`npm run test:mutation`; CONTRIBUTING.md says
 * how to run it and read the report). StrykerJS 9 (10.x needs Node 22) with its Vitest runner, on
 * the core tests only (vitest.stryker.config.ts).
 *
 * - `coverageAnalysis: 'perTest'`: each mutant runs only the tests that reach its code, the
 *   quickest first, and stops at the first that fails.
 * - `incremental`: results of mutants whose code and covering tests did not change are reused. The
 *   file is a local cache (node_modules/.cache, never committed): results are only valid for the
 *   exact code and tests they were computed on, which change daily under several engineers, and
 *   Stryker's diff does not see changes outside the mutated files and the test files (a helper, an
 *   option default), so a committed file would be stale or misleading. The weekly workflow runs
 *   from scratch (`--force`) and is the score of record.
 * - Concurrency 4 on 2 cores: the tests mostly wait on timers and the database (with 2 runners
 *   the load average stayed at 0.3–1.4), so 4 runners keep both cores busy. Timeouts are generous:
 *   a mutant is `Timeout` only when it takes over twice its tests' normal time plus 20 s.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.stryker.config.ts', related: true },
  mutate: ['packages/core/src/store/**/*.ts', 'packages/core/src/engine/**/*.ts'],
  coverageAnalysis: 'perTest',
  // Static mutants (code run once, when a module is loaded: top-level constants such as
  // CLAIM_SORT or ACTIVE_STATUSES) would need the modules loaded again for each mutant. The tests
  // run without per-file isolation (vitest.stryker.config.ts: 3× quicker), and Stryker's Vitest
  // runner does not reload modules between mutants (stryker-js#6209), so such a mutant would never
  // be active and would falsely survive: they are reported as Ignored. What those constants decide
  // is checked by tests of the behaviour (claim order, unique keys, retention).
  ignoreStatic: true,
  incremental: true,
  incrementalFile: 'node_modules/.cache/stryker/incremental.json',
  concurrency: 4,
  timeoutMS: 20_000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 20,
  reporters: ['html', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 80, break: null },
  // Only what the core tests need is copied into the sandboxes.
  ignorePatterns: [
    'packages/dashboard',
    'packages/docs',
    'packages/tsed',
    'bench',
    'examples',
    'coverage',
    'reports',
    '**/dist',
    '.turbo',
    '.test-backend',
  ],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
