import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'test-backend',
    include: ['tests/**/*.test.ts'],
    globalSetup: ['./src/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
