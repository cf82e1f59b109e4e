import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineProject } from 'vitest/config';

const path = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

export default defineProject({
  // SWC, not esbuild: Nest's constructor injection reads the parameter types from decorator
  // metadata, which esbuild does not emit (tsc and the Nest CLI do).
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
    name: 'nestjs',
    include: ['tests/**/*.test.ts'],
    globalSetup: ['../../tools/test-backend/src/global-setup.ts', './tests/support/build.global.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
  resolve: {
    alias: {
      '@monque/test-backend': path('../../tools/test-backend/src/index.ts'),
      '@monque/core': path('../core/src/index.ts'),
      '@monque/dashboard': path('../dashboard/src/index.ts'),
      '@monque/nestjs': path('./src/index.ts'),
    },
  },
});
