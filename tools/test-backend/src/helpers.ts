/**
 * Helpers for test files: one client per test worker, one database per test
 * file, small isolated collections, and a probe of what the server can do.
 */
import { type Db, MongoClient } from 'mongodb';
import type { BackendKind } from './resolve.js';

let client: MongoClient | undefined;
const handedOut = new Map<Db, Set<string>>();

/** The URI chosen by the global setup. */
export function getTestUri(): string {
  const uri = process.env.MONQUE_TEST_URI;
  if (!uri)
    throw new Error('MONQUE_TEST_URI is not set: run the tests through vitest (its global setup starts the backend).');
  return uri;
}

/** Which backend the run uses. */
export function getBackendKind(): BackendKind {
  return (process.env.MONQUE_TEST_BACKEND_KIND as BackendKind | undefined) ?? 'uri';
}

/** The shared client of this test worker (connected on first use). */
export async function getMongoClient(): Promise<MongoClient> {
  if (!client) {
    client = new MongoClient(getTestUri(), { serverSelectionTimeoutMS: 10_000 });
    await client.connect();
  }
  return client;
}

/** The default test database. */
export async function getMongoDb(): Promise<Db> {
  return (await getMongoClient()).db('monque_test');
}

/** Closes this worker's client. */
export async function closeMongoDb(): Promise<void> {
  await client?.close();
  client = undefined;
  handedOut.clear();
}

function sanitise(name: string): string {
  return name
    .replace(/^.*[\\/]/, '')
    .replace(/[^a-zA-Z0-9_]/g, '_')
    .slice(0, 40);
}

/**
 * A database of its own for one test file, named from `name` (pass the file
 * name, e.g. `import.meta.url`). Cleaned with `deleteMany` (the embedded
 * backend cannot drop).
 */
export async function getTestDb(name: string): Promise<Db> {
  const db = (await getMongoClient()).db(`monque_t_${sanitise(name)}`);
  if (!handedOut.has(db)) handedOut.set(db, new Set());
  return db;
}

let counter = 0;
/**
 * A fresh collection name in `db`, remembered for {@link cleanupTestDb}.
 * Keeps collections small: the embedded backend's write cost grows with size.
 */
export function freshCollectionName(db: Db, prefix = 'jobs'): string {
  counter += 1;
  const name = `${prefix}_${process.pid}_${counter}_${Date.now().toString(36)}`;
  let names = handedOut.get(db);
  if (!names) {
    names = new Set();
    handedOut.set(db, names);
  }
  names.add(name);
  return name;
}

/** Empties every collection handed out for `db` (plus any named ones). */
export async function cleanupTestDb(db: Db, extraCollections: string[] = []): Promise<void> {
  const names = new Set([...(handedOut.get(db) ?? []), ...extraCollections]);
  for (const name of names) await db.collection(name).deleteMany({});
  handedOut.get(db)?.clear();
}

/** What the server supports; `false` values carry the reason. */
export interface Capabilities {
  changeStreams: true | string;
  transactions: true | string;
  ttlExpiry: true | string;
  /** Query plans (`explain`), to check that queries use indexes. */
  explain: true | string;
}

let probed: Promise<Capabilities> | undefined;

/** Probes the server once per worker. */
export function getCapabilities(): Promise<Capabilities> {
  probed ??= probe();
  return probed;
}

async function probe(): Promise<Capabilities> {
  const db = await getMongoDb();
  const hello = await db.admin().command({ hello: 1 });
  const replicaSet = typeof hello.setName === 'string';
  const changeStreams = await probeChangeStreams(db);
  const kind = getBackendKind();
  const explain = await db.command({ explain: { count: 'capability_probe', query: {} } }).then(
    () => true as const,
    (error: unknown) =>
      `the server cannot explain queries (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
  );
  return {
    explain,
    changeStreams,
    transactions: replicaSet ? true : 'the server is not a replica set (transactions need one)',
    ttlExpiry:
      kind === 'embedded'
        ? 'the embedded backend stores TTL indexes but never expires documents'
        : 'TTL expiry runs about once a minute: too slow for a unit test',
  };
}

async function probeChangeStreams(db: Db): Promise<true | string> {
  const stream = db.collection('capability_probe').watch([], { maxAwaitTimeMS: 50 });
  try {
    await stream.tryNext();
    return true;
  } catch (error) {
    return `the server has no change streams (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  } finally {
    await stream.close().catch(() => {});
  }
}

/** Resolves once `predicate` returns true (polling every `intervalMs`), or rejects after `timeoutMs` naming `what`. */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = 10_000, intervalMs = 10 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
