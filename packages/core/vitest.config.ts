import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'core',
    include: ['tests/**/*.test.ts'],
    globalSetup: ['../../tools/test-backend/src/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
  resolve: {
    alias: { '@monque/test-backend': fileURLToPath(new URL('../../tools/test-backend/src/index.ts', import.meta.url)) },
  },
});
