/**
 * Turns the configured connection (a Mongoose `Connection` or a native `Db`) into a `Db`.
 * Both are recognised by shape: applications often hold two copies of the `mongodb` driver
 * (mongoose bundles its own), so `instanceof` would fail.
 */
import { ConnectionError } from '@monque/core';
import type { Db } from 'mongodb';
import { MonqueConfigurationCode, MonqueConfigurationError } from './configuration-error.js';

/** The part of a Mongoose `Connection` that Monque uses (no type import: `mongoose` is an optional peer). */
export interface MongooseConnectionLike {
  /** The native database; `undefined` until the connection is open. */
  readonly db?: unknown;
  /** 0 disconnected, 1 connected, 2 connecting, 3 disconnecting. */
  readonly readyState: number;
  /** The database name. */
  readonly name?: string;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  close(force?: boolean): Promise<unknown>;
  openUri(...args: unknown[]): unknown;
}

const CONNECTED = 1;

/** Detects a MongoDB `Db` by shape. */
export function isDb(value: unknown): value is Db {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Db).collection === 'function' &&
    typeof (value as Db).databaseName === 'string'
  );
}

/** Detects a Mongoose `Connection` by shape. */
export function isMongooseConnection(value: unknown): value is MongooseConnectionLike {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<MongooseConnectionLike>;
  return (
    typeof candidate.readyState === 'number' &&
    typeof candidate.once === 'function' &&
    typeof candidate.openUri === 'function' &&
    typeof candidate.close === 'function'
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return value.constructor?.name ? `a ${value.constructor.name}` : 'an object';
}

/** Resolves once `connection` is open, rejecting on its `error` event or after `timeoutMs`. */
function waitForOpen(connection: MongooseConnectionLike, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanUp = (): void => {
      clearTimeout(timer);
      connection.off('open', onOpen);
      connection.off('error', onError);
    };
    const onOpen = (): void => {
      cleanUp();
      resolve();
    };
    const onError = (...args: unknown[]): void => {
      cleanUp();
      const cause = args[0];
      const message = cause instanceof Error ? cause.message : String(cause);
      reject(new ConnectionError(`the Mongoose connection failed to open: ${message}`, cause));
    };
    const timer = setTimeout(() => {
      cleanUp();
      reject(
        new ConnectionError(
          `the Mongoose connection did not open within ${timeoutMs} ms (readyState ${connection.readyState}); call openUri()/connect() on it or raise monque.connectionTimeout`,
          undefined,
        ),
      );
    }, timeoutMs);
    connection.once('open', onOpen);
    connection.once('error', onError);
  });
}

/**
 * The `Db` behind `connection`: a `Db` as is; a Mongoose connection's `db` once it is open.
 * @throws MonqueConfigurationError when `connection` is neither
 * @throws ConnectionError when a Mongoose connection does not open in time
 */
export async function resolveDb(connection: unknown, timeoutMs: number): Promise<Db> {
  if (isDb(connection)) return connection;
  if (isMongooseConnection(connection)) {
    if (connection.readyState !== CONNECTED || !isDb(connection.db)) await waitForOpen(connection, timeoutMs);
    if (!isDb(connection.db)) {
      throw new ConnectionError('the Mongoose connection is open but exposes no database (connection.db)', undefined);
    }
    return connection.db;
  }
  throw new MonqueConfigurationError(
    MonqueConfigurationCode.INVALID_CONNECTION,
    `monque.connection: expected a Mongoose Connection or a mongodb Db, got ${describe(connection)}`,
  );
}
