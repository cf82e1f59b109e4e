/**
 * Reads the module's options (the `monque` configuration key merged with `MonqueModule.forRoot()`)
 * and builds the `Monque` instance from them.
 */
import { Monque, type MonqueOptions } from '@monque/core';
import { constant, inject } from '@tsed/di';
import { MonqueConfigurationError } from './configuration-error.js';
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

/** The module options with the Ts.ED-only keys removed: what core's constructor takes. */
export function toCoreOptions(options: MonqueModuleOptions): MonqueOptions {
  const { connection, connectionId, connectionTimeout, disableJobProcessing, ...core } = options;
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
        `monque.connectionId is '${options.connectionId}' but @tsed/mongoose is not loaded (import '@tsed/mongoose')`,
      );
    }
    throw new MonqueConfigurationError(NO_CONNECTION);
  }
  const connection = connections.get(options.connectionId);
  if (connection === undefined) {
    throw new MonqueConfigurationError(
      options.connectionId === undefined
        ? `${NO_CONNECTION} (@tsed/mongoose is loaded but has no default connection)`
        : `@tsed/mongoose has no connection with id '${options.connectionId}' (monque.connectionId)`,
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
  const connection = await findConnection(options);
  const db = await resolveDb(connection, options.connectionTimeout ?? DEFAULT_CONNECTION_TIMEOUT);
  const monque = new Monque(db, toCoreOptions(options));
  if (isMongooseConnection(connection)) guardClose(connection, monque);
  return monque;
}
