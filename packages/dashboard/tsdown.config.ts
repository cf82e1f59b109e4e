import { defineConfig } from 'tsdown';

export default defineConfig([
  {
    // The library: createDashboard, for ESM and CommonJS users.
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: false,
    shims: true,
    target: 'node20',
    platform: 'node',
  },
  {
    // The commands: ESM only (they are run, not imported).
    entry: { 'bin/monque-dashboard': 'src/bin/monque-dashboard.ts', 'bin/monque': 'src/bin/monque.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: false,
    target: 'node20',
    platform: 'node',
  },
]);
