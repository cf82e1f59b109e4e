/**
 * Chooses the MongoDB server the tests (and the demo and benchmark) talk to:
 *
 * 1. `MONGODB_URI` set → that server (a real MongoDB);
 * 2. `MONQUE_TEST_BACKEND=testcontainers` → a MongoDB container (needs a container runtime);
 * 3. otherwise → the embedded backend (jongodb behind the serialising relay; linux x64 only).
 *
 * When none is possible it throws at once with a message naming the options.
 */
import { startEmbeddedBackend } from './embedded.js';
import { findJongodbBinary } from './jongodb.js';

/** Which kind of server a URI points at. */
export type BackendKind = 'uri' | 'testcontainers' | 'embedded';

/** A server the tests can use. */
export interface TestBackend {
  readonly kind: BackendKind;
  readonly uri: string;
  /** One line for logs: what is used and where. */
  readonly description: string;
  stop(): Promise<void>;
}

/** Thrown when no backend can be started; the message lists the options. */
export class NoTestBackendError extends Error {
  constructor(reason: string) {
    super(
      `No MongoDB server for the tests: ${reason}.\n` +
        'Options:\n' +
        '  - set MONGODB_URI to a MongoDB server (a replica set enables the change-stream tests),\n' +
        '  - set MONQUE_TEST_BACKEND=testcontainers on a machine with a Docker-compatible runtime,\n' +
        '  - or run on linux x64 (glibc), where the embedded backend @jongodb/memory-server-bin-linux-x64-gnu is installed by npm install.',
    );
    this.name = 'NoTestBackendError';
  }
}

function redact(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}

async function startTestcontainers(): Promise<TestBackend> {
  let mod: {
    MongoDBContainer: new (
      image: string,
    ) => { start(): Promise<{ getConnectionString(): string; stop(): Promise<unknown> }> };
  };
  try {
    mod = (await import('@testcontainers/mongodb')) as unknown as typeof mod;
  } catch (error) {
    throw new NoTestBackendError(`@testcontainers/mongodb could not be loaded (${String(error)})`);
  }
  const image = process.env.MONQUE_TEST_MONGO_IMAGE ?? 'mongo:7';
  let container: { getConnectionString(): string; stop(): Promise<unknown> };
  try {
    container = await new mod.MongoDBContainer(image).start();
  } catch (error) {
    throw new NoTestBackendError(
      `Testcontainers could not start ${image} (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  // The container is a single-node replica set whose member name only resolves inside Docker:
  // connect directly to the mapped port.
  const url = new URL(container.getConnectionString());
  url.pathname = '/';
  url.searchParams.set('directConnection', 'true');
  const uri = url.toString();
  return {
    kind: 'testcontainers',
    uri,
    description: `Testcontainers ${image} at ${redact(uri)}`,
    stop: async () => {
      await container.stop();
    },
  };
}

/** Starts (or points at) the backend chosen by the environment. */
export async function resolveTestBackend(env: NodeJS.ProcessEnv = process.env): Promise<TestBackend> {
  if (env.MONGODB_URI) {
    return {
      kind: 'uri',
      uri: env.MONGODB_URI,
      description: `MONGODB_URI ${redact(env.MONGODB_URI)}`,
      stop: async () => {},
    };
  }
  const requested = env.MONQUE_TEST_BACKEND;
  if (requested === 'testcontainers') return startTestcontainers();
  if (requested && requested !== 'embedded') {
    throw new NoTestBackendError(`MONQUE_TEST_BACKEND=${requested} is not one of: embedded, testcontainers`);
  }
  const found = findJongodbBinary();
  if (!('path' in found)) throw new NoTestBackendError(found.reason);
  const embedded = await startEmbeddedBackend();
  return {
    kind: 'embedded',
    uri: embedded.uri,
    description: `embedded jongodb behind the serialising relay at ${embedded.uri} (pid ${embedded.pid})`,
    stop: () => embedded.stop(),
  };
}
