import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

/**
 * The docs' executable samples: the programs on the built pages run against the test backend,
 * the README's sample type-checks in a fresh ESM project, the diagrams draw in a browser.
 * The second global setup builds the site when it is missing or older than its sources.
 */
export default defineProject({
  test: {
    name: 'docs',
    include: ['tests/**/*.test.ts'],
    globalSetup: ['../../tools/test-backend/src/global-setup.ts', './tests/support/build-site.global.ts'],
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
