import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineProject } from 'vitest/config';

const path = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

export default defineProject({
  // SWC, not esbuild: the Ts.ED mount example needs legacy decorators with emitted metadata.
  plugins: [
    swc.vite({
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        target: 'es2022',
      },
    }),
  ],
  test: {
    name: 'dashboard',
    include: ['tests/**/*.test.ts'],
    // The backend first, then the browser UI (built once when missing or older than its sources).
    globalSetup: ['../../tools/test-backend/src/global-setup.ts', './tests/setup/ensure-ui-built.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
  resolve: {
    alias: {
      '@monque/test-backend': path('../../tools/test-backend/src/index.ts'),
      '@monque/core': path('../core/src/index.ts'),
      '@monque/dashboard': path('./src/index.ts'),
    },
  },
});
