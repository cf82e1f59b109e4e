/**
 * Builds the application's `Monque` from the module options: the database (a `Db`, a client's, or
 * one of a client the module creates from a URI and owns), and core's options.
 */
import { ConnectionError, Monque } from '@monque/core';
import { type Db, MongoClient } from 'mongodb';
import type { MonqueModuleOptions } from './module-options.js';
import { toCoreOptions } from './module-options-check.js';
import { nestLogger } from './nest-logger.js';

/** What the module holds for the application's lifetime. */
export interface MonqueConnection {
  /** The application's instance. */
  readonly monque: Monque;
  /** The database holding the jobs. */
  readonly db: Db;
  /** The client the module created from `uri`, which it closes on shutdown; `undefined` otherwise. */
  readonly ownedClient: MongoClient | undefined;
}

function databaseOf(options: MonqueModuleOptions): { db: Db; ownedClient: MongoClient | undefined } {
  if (options.db) return { db: options.db, ownedClient: undefined };
  if (options.client) return { db: options.client.db(options.dbName), ownedClient: undefined };
  const client = new MongoClient(options.uri as string, options.clientOptions);
  return { db: client.db(options.dbName), ownedClient: client };
}

/**
 * Creates the instance from checked options. Core's options are checked before anything connects;
 * a client created from `uri` is connected here, so an unreachable server fails the bootstrap.
 * @throws InvalidArgumentError for a bad core option (nothing connects)
 * @throws ConnectionError when the module's own client cannot connect (the driver's error is its `cause`)
 */
export async function openConnection(options: MonqueModuleOptions): Promise<MonqueConnection> {
  const { db, ownedClient } = databaseOf(options);
  let monque: Monque;
  try {
    monque = new Monque(db, { logger: nestLogger(), ...toCoreOptions(options) });
  } catch (error) {
    await ownedClient?.close();
    throw error;
  }
  if (ownedClient) {
    try {
      await ownedClient.connect();
    } catch (error) {
      await ownedClient.close().catch(() => {});
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConnectionError(`MonqueModule could not connect with its uri: ${reason}`, error);
    }
  }
  return { monque, db, ownedClient };
}
