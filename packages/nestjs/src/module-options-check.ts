/**
 * Checks the module options before anything connects, with a message that names the option and
 * says what to write instead.
 */
import { KNOWN_OPTIONS, type MonqueOptions, suggestOption } from '@monque/core';
import { MonqueConfigurationCode, MonqueConfigurationError } from './configuration-error.js';
import type { MonqueModuleAsyncOptions, MonqueModuleOptions } from './module-options.js';

/** The keys `@monque/nestjs` adds to core's options (connection and process role). */
export const MODULE_OPTION_KEYS = [
  'db',
  'client',
  'uri',
  'dbName',
  'clientOptions',
  'worker',
  'manualStart',
  'unregisteredProcessors',
] as const;

const ASYNC_OPTION_KEYS = ['imports', 'useFactory', 'inject', 'useClass', 'useExisting', 'global'] as const;
const UNREGISTERED_MODES = ['error', 'warn', 'ignore'];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null || typeof value !== 'object') return String(value);
  return value.constructor?.name ? `a ${value.constructor.name}` : 'an object';
}

function invalid(code: (typeof MonqueConfigurationCode)[keyof typeof MonqueConfigurationCode], message: string) {
  return new MonqueConfigurationError(code, message);
}

/** Detects a MongoDB `Db` by shape (an application may hold two copies of the driver, so no `instanceof`). */
export function isDb(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { collection?: unknown }).collection === 'function' &&
    typeof (value as { databaseName?: unknown }).databaseName === 'string'
  );
}

/** Detects a `MongoClient` by shape. */
export function isMongoClient(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return ['db', 'connect', 'close', 'startSession'].every((key) => typeof candidate[key] === 'function');
}

function checkConnection(options: Record<string, unknown>, where: string): void {
  const given = (['db', 'client', 'uri'] as const).filter((key) => options[key] !== undefined);
  if (given.length === 0) {
    throw invalid(
      MonqueConfigurationCode.NO_CONNECTION,
      `${where}: no database given: set one of db (a Db of your client), client (+ dbName) or uri (the module then owns and closes its client)`,
    );
  }
  if (given.length > 1) {
    throw invalid(
      MonqueConfigurationCode.INVALID_CONNECTION,
      `${where}: ${given.join(' and ')} are given; set only one of db, client or uri`,
    );
  }
  const { db, client, uri, dbName, clientOptions } = options;
  if (db !== undefined && !isDb(db)) {
    throw invalid(MonqueConfigurationCode.INVALID_CONNECTION, `${where}: db: expected a mongodb Db, got ${show(db)}`);
  }
  if (client !== undefined && !isMongoClient(client)) {
    throw invalid(
      MonqueConfigurationCode.INVALID_CONNECTION,
      `${where}: client: expected a MongoClient, got ${show(client)}${typeof client === 'string' ? " (a connection string goes in 'uri')" : ''}`,
    );
  }
  if (uri !== undefined && (typeof uri !== 'string' || !/^mongodb(\+srv)?:\/\/./.test(uri))) {
    throw invalid(
      MonqueConfigurationCode.INVALID_CONNECTION,
      `${where}: uri: expected a connection string starting with mongodb:// or mongodb+srv://, got ${typeof uri === 'string' ? 'another string' : show(uri)}`,
    );
  }
  if (dbName !== undefined) {
    if (db !== undefined) {
      throw invalid(
        MonqueConfigurationCode.INVALID_CONNECTION,
        `${where}: dbName goes with client or uri; a Db already is one database (drop dbName, or pass client.db('${String(dbName)}'))`,
      );
    }
    if (typeof dbName !== 'string' || dbName === '' || /[/\\. "$]/.test(dbName)) {
      throw invalid(
        MonqueConfigurationCode.INVALID_CONNECTION,
        `${where}: dbName: expected a database name (no '/', '\\', '.', ' ', '"' or '$'), got ${show(dbName)}`,
      );
    }
  }
  if (clientOptions !== undefined) {
    if (uri === undefined) {
      throw invalid(
        MonqueConfigurationCode.INVALID_CONNECTION,
        `${where}: clientOptions goes with uri (the module creates that client); set them on your own client instead`,
      );
    }
    if (typeof clientOptions !== 'object' || clientOptions === null) {
      throw invalid(
        MonqueConfigurationCode.INVALID_CONNECTION,
        `${where}: clientOptions: expected MongoClient options, got ${show(clientOptions)}`,
      );
    }
  }
}

/**
 * Checks the module options: known keys only (a misspelt one gets a "did you mean"), exactly one of
 * `db`/`client`/`uri`, and the types of the module's own options. Core checks its options itself.
 * @param where how the options were given, for messages (`'MonqueModule.forRoot()'` …)
 * @throws MonqueConfigurationError naming the option and the value
 */
export function checkModuleOptions(options: unknown, where: string): MonqueModuleOptions {
  if (!isPlainObject(options)) {
    throw invalid(
      MonqueConfigurationCode.INVALID_MODULE_OPTION,
      `${where}: expected an object of options, got ${show(options)}`,
    );
  }
  const known: readonly string[] = [...MODULE_OPTION_KEYS, ...KNOWN_OPTIONS];
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    if (key === 'global') {
      throw invalid(
        MonqueConfigurationCode.INVALID_MODULE_OPTION,
        `${where}: 'global' decides how the module is imported, so it cannot come from the factory: pass it to forRootAsync({ global, useFactory }) itself`,
      );
    }
    throw invalid(
      MonqueConfigurationCode.INVALID_MODULE_OPTION,
      `${where}: ${key}: unknown option${suggestOption(key, known)}`,
    );
  }
  for (const key of ['worker', 'manualStart'] as const) {
    const value = options[key];
    if (value !== undefined && typeof value !== 'boolean') {
      throw invalid(
        MonqueConfigurationCode.INVALID_MODULE_OPTION,
        `${where}: ${key}: expected true or false, got ${show(value)}`,
      );
    }
  }
  if (options.worker === false && options.manualStart === true) {
    throw invalid(
      MonqueConfigurationCode.INVALID_MODULE_OPTION,
      `${where}: manualStart has no effect with worker: false (a producer-only process never starts workers); drop one of them`,
    );
  }
  const mode = options.unregisteredProcessors;
  if (mode !== undefined && !UNREGISTERED_MODES.includes(mode as string)) {
    throw invalid(
      MonqueConfigurationCode.INVALID_MODULE_OPTION,
      `${where}: unregisteredProcessors: expected 'error', 'warn' or 'ignore', got ${show(mode)}`,
    );
  }
  checkConnection(options, where);
  return options as MonqueModuleOptions;
}

/**
 * Checks `forRootAsync()`'s own options: exactly one of `useFactory`, `useClass`, `useExisting`,
 * known keys only, `inject` only with `useFactory`.
 * @throws MonqueConfigurationError
 */
export function checkAsyncOptions(options: unknown): MonqueModuleAsyncOptions {
  const where = 'MonqueModule.forRootAsync()';
  if (!isPlainObject(options)) {
    throw invalid(MonqueConfigurationCode.INVALID_MODULE_OPTION, `${where}: expected an object, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if ((ASYNC_OPTION_KEYS as readonly string[]).includes(key)) continue;
    const moduleOption =
      (MODULE_OPTION_KEYS as readonly string[]).includes(key) || KNOWN_OPTIONS.includes(key as never);
    throw invalid(
      MonqueConfigurationCode.INVALID_MODULE_OPTION,
      moduleOption
        ? `${where}: ${key} is a module option: return it from useFactory (or createMonqueOptions()), or use forRoot({ ${key} })`
        : `${where}: ${key}: unknown option${suggestOption(key, ASYNC_OPTION_KEYS)}`,
    );
  }
  const ways = (['useFactory', 'useClass', 'useExisting'] as const).filter((key) => options[key] !== undefined);
  if (ways.length !== 1) {
    throw invalid(
      MonqueConfigurationCode.INVALID_MODULE_OPTION,
      `${where}: give exactly one of useFactory, useClass or useExisting${ways.length > 1 ? ` (got ${ways.join(', ')})` : ''}`,
    );
  }
  if (options.useFactory !== undefined && typeof options.useFactory !== 'function') {
    throw invalid(MonqueConfigurationCode.INVALID_MODULE_OPTION, `${where}: useFactory: expected a function`);
  }
  if (options.useClass !== undefined && typeof options.useClass !== 'function') {
    throw invalid(MonqueConfigurationCode.INVALID_MODULE_OPTION, `${where}: useClass: expected a class`);
  }
  if (options.inject !== undefined && (options.useFactory === undefined || !Array.isArray(options.inject))) {
    throw invalid(
      MonqueConfigurationCode.INVALID_MODULE_OPTION,
      `${where}: inject: expected an array of tokens, given with useFactory`,
    );
  }
  if (options.global !== undefined && typeof options.global !== 'boolean') {
    throw invalid(MonqueConfigurationCode.INVALID_MODULE_OPTION, `${where}: global: expected true or false`);
  }
  return options as MonqueModuleAsyncOptions;
}

/** The module options without the module's own keys: what core's constructor takes. */
export function toCoreOptions(options: MonqueModuleOptions): MonqueOptions {
  const core: Record<string, unknown> = { ...options };
  for (const key of MODULE_OPTION_KEYS) delete core[key];
  return core as MonqueOptions;
}
