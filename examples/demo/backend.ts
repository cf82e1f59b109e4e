/**
 * Which MongoDB server the demo talks to, in this order:
 *
 * 1. `MONQUE_TEST_URI` set → the server of the running test suite (the demo's own test sets it, so
 *    the demo reuses that backend instead of starting another);
 * 2. `MONGODB_URI` set → that server (a real MongoDB);
 * 3. otherwise → the embedded MongoDB-compatible server (jongodb behind the serialising relay,
 *    linux x64 only), started here and stopped when the demo ends.
 *
 * (`MONQUE_TEST_BACKEND=testcontainers` is honoured too, as by the tests.)
 */
import { type BackendKind, resolveTestBackend } from '../../tools/test-backend/src/resolve.js';

/** Where the demo's server comes from. */
export type DemoBackendSource = 'MONQUE_TEST_URI' | BackendKind;

/** The server the demo uses. */
export interface DemoBackend {
  readonly source: DemoBackendSource;
  readonly uri: string;
  /** One line for the output: what is used and where (credentials hidden). */
  readonly description: string;
  /** Whether the demo started this server itself (and so owns all of its data). */
  readonly startedByDemo: boolean;
  /** Stops the server if the demo started it; otherwise does nothing. Safe to call twice. */
  stop(): Promise<void>;
}

/** Hides the credentials in a MongoDB URI. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}

/** Picks (and, for the embedded server, starts) the demo's backend. */
export async function chooseDemoBackend(env: NodeJS.ProcessEnv = process.env): Promise<DemoBackend> {
  const testUri = env.MONQUE_TEST_URI;
  if (testUri) {
    return {
      source: 'MONQUE_TEST_URI',
      uri: testUri,
      description: `the test suite's server from MONQUE_TEST_URI (${redactUri(testUri)})`,
      startedByDemo: false,
      stop: async () => {},
    };
  }
  const backend = await resolveTestBackend(env);
  let stopped: Promise<void> | undefined;
  return {
    source: backend.kind,
    uri: backend.uri,
    description:
      backend.kind === 'uri'
        ? `your server from ${backend.description}`
        : `${backend.description} — started by the demo, stopped when it ends`,
    startedByDemo: backend.kind !== 'uri',
    stop: () => {
      stopped ??= backend.stop();
      return stopped;
    },
  };
}
