/**
 * The CLI's connection: `--uri` (else `MONGODB_URI`), `--db` (else the database named in the URI)
 * and `--collection`. Monque is created but never started: the operations API needs no scheduler.
 */
import { Monque } from '@monque/core';
import { MongoClient } from 'mongodb';
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

/** The database named in a MongoDB URI's path, if any. */
export function databaseInUri(uri: string): string | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]+)/.exec(uri);
  return match?.[1] ? decodeURIComponent(match[1]) : undefined;
}

/** Opens the connection; a `UsageError` when the URI or database is missing. */
export async function connect(options: ConnectionOptions, env: NodeJS.ProcessEnv): Promise<CliConnection> {
  const uri = options.uri ?? env.MONGODB_URI;
  if (!uri) throw new UsageError('no MongoDB URI: pass --uri or set MONGODB_URI');
  if (!/^mongodb(\+srv)?:\/\//.test(uri)) throw new UsageError('--uri must start with mongodb:// or mongodb+srv://');
  const dbName = options.db ?? databaseInUri(uri);
  if (!dbName) throw new UsageError('no database: pass --db or name it in the URI (mongodb://host/mydb)');
  // 10 s to find a server unless the URI says otherwise (the driver's own default is 30 s).
  const timeout = /[?&]serverSelectionTimeoutMS=/i.test(uri) ? {} : { serverSelectionTimeoutMS: 10_000 };
  const client = new MongoClient(uri, { ...timeout, appName: 'monque-cli' });
  await client.connect();
  const monque = new Monque(client.db(dbName), options.collection ? { collectionName: options.collection } : {});
  return { monque, close: () => client.close() };
}
