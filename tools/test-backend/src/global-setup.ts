/**
 * Vitest global setup: starts the test backend once per test run and hands its
 * URI to the test workers (and to processes they spawn) as MONQUE_TEST_URI.
 * The returned teardown always stops it; the embedded backend also exits by
 * itself when this process dies (its stdin is our pipe).
 */
import { resolveTestBackend } from './resolve.js';

export default async function setup(): Promise<() => Promise<void>> {
  if (process.env.MONQUE_TEST_URI) return async () => {};
  const backend = await resolveTestBackend();
  process.env.MONQUE_TEST_URI = backend.uri;
  process.env.MONQUE_TEST_BACKEND_KIND = backend.kind;
  process.stdout.write(`[monque tests] backend: ${backend.description}\n`);
  return async () => {
    await backend.stop();
    delete process.env.MONQUE_TEST_URI;
  };
}
