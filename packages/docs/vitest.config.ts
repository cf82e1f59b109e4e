import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

/** Runs the documentation's executable samples (the quickstart) against the test backend. */
export default defineProject({
  test: {
    name: 'docs',
    include: ['tests/**/*.test.ts'],
    globalSetup: ['../../tools/test-backend/src/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
  resolve: {
    alias: {
      '@monque/test-backend': fileURLToPath(new URL('../../tools/test-backend/src/index.ts', import.meta.url)),
      '@monque/core': fileURLToPath(new URL('../core/src/index.ts', import.meta.url)),
    },
  },
});
