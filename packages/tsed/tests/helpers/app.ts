/**
 * Test helpers: boot a Ts.ED injector with Monque on a fresh collection, tear it down after each
 * test, and wait on scheduler events.
 */
import { cleanupTestDb, freshCollectionName, getTestDb } from '@monque/test-backend';
import { DITest, inject, Provider, type TokenProvider } from '@tsed/di';
import type { Db } from 'mongodb';
import { afterAll, afterEach, expect } from 'vitest';
import { Monque, type MonqueEventMap, type MonqueModuleOptions } from '../../src/index.js';

/** Fast scheduler settings for tests. */
export const FAST = { pollInterval: 50, baseRetryInterval: 10, shutdownTimeout: 5_000 } as const;

const registered: TokenProvider[] = [];
let booted: Monque | undefined;

/**
 * Opens this file's database and registers cleanup: after each test the injector is destroyed
 * (and must leave the scheduler stopped) and classes passed to {@link forgetAfterTest}
 * leave the global provider registry.
 */
export function useTestApp(fileUrl: string): () => Promise<Db> {
  let db: Db | undefined;
  afterEach(async () => {
    const monque = booted;
    booted = undefined;
    await DITest.reset();
    for (const token of registered.splice(0)) Provider.Registry.delete(token);
    expect(monque?.isRunning ?? false, 'destroying the injector left the scheduler running').toBe(false);
  });
  afterAll(async () => {
    if (db) await cleanupTestDb(db);
  });
  return async () => {
    db ??= await getTestDb(fileUrl);
    return db;
  };
}

/** Removes classes declared inside a test from the global registry once the test ends. */
export function forgetAfterTest<T extends TokenProvider>(...tokens: T[]): void {
  registered.push(...tokens);
}

/** Module options on a fresh collection of `db`. */
export function monqueSettings(db: Db, extra: MonqueModuleOptions = {}): MonqueModuleOptions {
  return { connection: db, collectionName: freshCollectionName(db), ...FAST, ...extra };
}

/** Boots an injector (runs `$onInit`) with `settings`. */
export async function boot(settings: Partial<TsED.Configuration> = {}): Promise<Monque> {
  await DITest.create(settings);
  booted = inject(Monque);
  return booted;
}

/** Resolves with the first payload of `event` for which `match` holds. */
export function nextEvent<K extends keyof MonqueEventMap>(
  monque: Monque,
  event: K,
  match: (payload: MonqueEventMap[K]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<MonqueEventMap[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      monque.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
    }, timeoutMs);
    const listener = (payload: MonqueEventMap[K]): void => {
      if (!match(payload)) return;
      clearTimeout(timer);
      monque.off(event, listener);
      resolve(payload);
    };
    monque.on(event, listener);
  });
}

/** A promise with its resolve function, for handlers that a test releases. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
