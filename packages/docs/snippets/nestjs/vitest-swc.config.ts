/**
 * Vitest for a Nest application: SWC emits the decorator metadata constructor injection needs
 * (Vitest's default transform, esbuild, does not).
 */
// #region vitest
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [
    swc.vite({
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      },
    }),
  ],
});
// #endregion vitest
