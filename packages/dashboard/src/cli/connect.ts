/**
 * The CLI's connection: `--uri` (else `MONGODB_URI`), `--db` (else the database named in the URI)
 * and `--collection`. Monque is created but never started: the operations API needs no scheduler.
 */
import { Monque } from '@monque/core';
import { openClient } from './mongo-uri.js';
import { UsageError } from './usage-error.js';

/** The connection options every command takes. */
export interface ConnectionOptions {
  uri?: string;
  db?: string;
  collection?: string;
}

/** An open connection; `close()` ends it. */
export interface CliConnection {
  readonly monque: Monque;
  close(): Promise<void>;
}

/**
 * The database named in a MongoDB URI's path, if any.
 * @throws UsageError when that name is not valid URL encoding (`/%zz`)
 */
export function databaseInUri(uri: string): string | undefined {
  // After the user info (up to the last '@': a password may hold '/'), the hosts, then '/db'.
  const rest = uri.replace(/^mongodb(?:\+srv)?:\/\//, '').replace(/^.*@/, '');
  const match = /^[^/?]*\/([^?]+)/.exec(rest);
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    throw new UsageError(
      `the database name in --uri (${JSON.stringify(match[1].slice(0, 100))}) is not valid URL encoding: pass --db, or encode it`,
    );
  }
}

/** The URI and database of `options`; a `UsageError` when one is missing or the URI cannot be read. */
export function connectionTarget(options: ConnectionOptions, env: NodeJS.ProcessEnv): { uri: string; dbName: string } {
  const uri = options.uri ?? env.MONGODB_URI;
  if (!uri) throw new UsageError('no MongoDB URI: pass --uri or set MONGODB_URI');
  if (!/^mongodb(\+srv)?:\/\//.test(uri)) throw new UsageError('--uri must start with mongodb:// or mongodb+srv://');
  const dbName = options.db ?? databaseInUri(uri);
  if (!dbName) throw new UsageError('no database: pass --db or name it in the URI (mongodb://host/mydb)');
  return { uri, dbName };
}

/** Opens the connection; a `UsageError` when the URI or database is missing or the URI cannot be read. */
export async function connect(options: ConnectionOptions, env: NodeJS.ProcessEnv): Promise<CliConnection> {
  const { uri, dbName } = connectionTarget(options, env);
  const client = openClient(uri, 'monque-cli');
  await client.connect();
  const monque = new Monque(client.db(dbName), options.collection ? { collectionName: options.collection } : {});
  return { monque, close: () => client.close() };
}
