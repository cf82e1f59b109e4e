import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const coreSource = fileURLToPath(new URL('./packages/core/src/index.ts', import.meta.url));

/**
 * One Vitest run for the whole repository (one pass/fail count, one coverage
 * report). Each project starts the test backend once in its global setup.
 */
export default defineConfig({
  test: {
    projects: [
      'tools/test-backend',
      'packages/core',
      'packages/tsed',
      'packages/dashboard',
      'packages/nestjs',
      'packages/docs',
    ],
    coverage: {
      provider: 'v8',
      include: [
        'packages/core/src/**/*.ts',
        'packages/tsed/src/**/*.ts',
        'packages/dashboard/src/**/*.ts',
        'packages/nestjs/src/**/*.ts',
      ],
      reporter: ['text-summary', 'text', 'json-summary', 'html'],
      thresholds: { lines: 96, functions: 95, branches: 91, statements: 95 },
    },
  },
  resolve: { alias: { '@monque/core': coreSource } },
});
