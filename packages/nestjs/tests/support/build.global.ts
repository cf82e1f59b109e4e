/**
 * Vitest global setup of the nestjs project: `tests/compat.test.ts` and `tests/example.test.ts` run
 * the BUILT package (`dist/`, as published) and the built `@monque/core` it imports, so build them
 * first (on a fresh clone nothing is built; afterwards Turbo's cache makes this quick).
 */
import { buildPackages } from '../../../../tools/test-backend/src/build-packages.js';

export default function setup(): void {
  buildPackages(['@monque/nestjs']);
}
