/**
 * Reads the module's options (the `monque` configuration key merged with `MonqueModule.forRoot()`)
 * and builds the `Monque` instance from them.
 */
import { Monque, type MonqueOptions } from '@monque/core';
import { constant, inject } from '@tsed/di';
import { MonqueConfigurationCode, MonqueConfigurationError } from './configuration-error.js';
import { isMongooseConnection, type MongooseConnectionLike, resolveDb } from './connection.js';
import { MONGOOSE_CONNECTIONS_TOKEN, MONQUE_MODULE_OPTIONS } from './constants.js';
import type { MonqueModuleOptions } from './module-options.js';

/** Default of {@link MonqueModuleOptions.connectionTimeout}. */
export const DEFAULT_CONNECTION_TIMEOUT = 30_000;

/** The part of `@tsed/mongoose`'s connections service used here. */
interface MongooseConnectionsLike {
  get(id?: string): unknown;
}

/** The `monque` configuration key, overridden by `MonqueModule.forRoot()` options. */
export function readModuleOptions(): MonqueModuleOptions {
  const fromSettings = constant<MonqueModuleOptions | undefined>('monque');
  const fromForRoot = inject<MonqueModuleOptions | undefined>(MONQUE_MODULE_OPTIONS);
  return { ...fromSettings, ...fromForRoot };
}

function invalidOption(key: string, expected: string, value: unknown): MonqueConfigurationError {
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  return new MonqueConfigurationError(
    MonqueConfigurationCode.INVALID_MODULE_OPTION,
    `monque.${key}: expected ${expected}, got ${shown}`,
  );
}

/**
 * Checks the Ts.ED-only options (core checks its own in its constructor).
 * @throws MonqueConfigurationError naming the option and the value
 */
export function checkModuleOptions(options: MonqueModuleOptions): void {
  const { connectionId, connectionTimeout, disableJobProcessing, logFailures } = options;
  if (connectionId !== undefined && (typeof connectionId !== 'string' || connectionId === '')) {
    throw invalidOption('connectionId', 'a non-empty string', connectionId);
  }
  if (
    connectionTimeout !== undefined &&
    (typeof connectionTimeout !== 'number' || !Number.isFinite(connectionTimeout) || connectionTimeout <= 0)
  ) {
    throw invalidOption('connectionTimeout', 'a positive number of ms', connectionTimeout);
  }
  for (const [key, value] of Object.entries({ disableJobProcessing, logFailures })) {
    if (value !== undefined && typeof value !== 'boolean') throw invalidOption(key, 'true or false', value);
  }
}

/** The module options with the Ts.ED-only keys removed: what core's constructor takes. */
export function toCoreOptions(options: MonqueModuleOptions): MonqueOptions {
  const { connection, connectionId, connectionTimeout, disableJobProcessing, logFailures, ...core } = options;
  return core;
}

const NO_CONNECTION =
  'no connection configured: set `monque: { connection }` (a Mongoose Connection or a mongodb Db) in the ' +
  'server configuration, import `MonqueModule.forRoot({ connection })`, or configure @tsed/mongoose';

async function findConnection(options: MonqueModuleOptions): Promise<unknown> {
  if (options.connection !== undefined) return options.connection;
  const connections = (await inject<unknown>(MONGOOSE_CONNECTIONS_TOKEN)) as MongooseConnectionsLike | undefined;
  if (connections === undefined || typeof connections.get !== 'function') {
    if (options.connectionId !== undefined) {
      throw new MonqueConfigurationError(
        MonqueConfigurationCode.UNKNOWN_CONNECTION_ID,
        `monque.connectionId is '${options.connectionId}' but @tsed/mongoose is not loaded (import '@tsed/mongoose')`,
      );
    }
    throw new MonqueConfigurationError(MonqueConfigurationCode.NO_CONNECTION, NO_CONNECTION);
  }
  const connection = connections.get(options.connectionId);
  if (connection === undefined) {
    throw options.connectionId === undefined
      ? new MonqueConfigurationError(
          MonqueConfigurationCode.NO_CONNECTION,
          `${NO_CONNECTION} (@tsed/mongoose is loaded but has no default connection)`,
        )
      : new MonqueConfigurationError(
          MonqueConfigurationCode.UNKNOWN_CONNECTION_ID,
          `@tsed/mongoose has no connection with id '${options.connectionId}' (monque.connectionId)`,
        );
  }
  return connection;
}

/** Mongoose connections whose `close()` waits for the scheduler, by scheduler (see {@link createMonque}). */
const closeGuards = new WeakMap<Monque, () => void>();

/**
 * Makes `connection.close()` stop the scheduler first (waiting for running jobs), so a framework
 * that closes the connection in its own `$onDestroy` — Ts.ED runs those hooks concurrently, and
 * `@tsed/mongoose` closes its connections there — does not cut running jobs off their database.
 */
function guardClose(connection: MongooseConnectionLike, monque: Monque): void {
  const hadOwn = Object.hasOwn(connection, 'close');
  const original = connection.close;
  const guarded = async function (this: MongooseConnectionLike, ...args: [boolean?]): Promise<unknown> {
    await monque.stop();
    return original.apply(this, args);
  };
  (connection as { close: typeof guarded }).close = guarded;
  closeGuards.set(monque, () => {
    if (connection.close !== guarded) return;
    if (hadOwn) (connection as { close: typeof original }).close = original;
    else delete (connection as { close?: unknown }).close;
  });
}

/** Undoes what {@link createMonque} did to a Mongoose connection's `close()`. */
export function releaseConnection(monque: Monque): void {
  closeGuards.get(monque)?.();
  closeGuards.delete(monque);
}

/**
 * Builds the application's `Monque` from the module options: finds the connection, waits for an
 * unopened Mongoose connection, and hands core the remaining options.
 * @throws MonqueConfigurationError when no usable connection is configured
 */
export async function createMonque(): Promise<Monque> {
  const options = readModuleOptions();
  checkModuleOptions(options);
  const connection = await findConnection(options);
  const db = await resolveDb(connection, options.connectionTimeout ?? DEFAULT_CONNECTION_TIMEOUT);
  const monque = new Monque(db, toCoreOptions(options));
  if (isMongooseConnection(connection)) guardClose(connection, monque);
  return monque;
}
