/**
 * Test helpers: boot real Nest applications (with a real HTTP server) on a fresh jobs collection,
 * close them after each test (which must leave their scheduler stopped), and wait on events.
 */
import type { AddressInfo } from 'node:net';
import { cleanupTestDb, freshCollectionName, getTestDb } from '@monque/test-backend';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Db } from 'mongodb';
import { afterAll, afterEach, expect } from 'vitest';
import { Monque, type MonqueEventMap, type MonqueRootOptions } from '../../src/index.js';

/** Fast scheduler settings for tests. */
export const FAST = { pollInterval: 50, baseRetryInterval: 10, shutdownTimeout: 5_000 } as const;

/** A booted application. */
export interface TestApp {
  readonly app: INestApplication;
  readonly monque: Monque;
  /** `http://127.0.0.1:<port>` (only when booted with `http: true`). */
  readonly url: string;
}

const running: TestApp[] = [];

/**
 * Opens this file's database and registers cleanup: after each test every application it booted is
 * closed and must have left its scheduler stopped.
 */
export function useTestApps(fileUrl: string): () => Promise<Db> {
  let db: Db | undefined;
  afterEach(async () => {
    for (const { app, monque } of running.splice(0).reverse()) {
      await app.close();
      expect(monque.isRunning, 'closing the application left the scheduler running').toBe(false);
    }
  });
  afterAll(async () => {
    if (db) await cleanupTestDb(db);
  });
  return async () => {
    db ??= await getTestDb(fileUrl);
    return db;
  };
}

/**
 * `forRoot()` options on a fresh collection of `db`. `unregisteredProcessors: 'ignore'` by default:
 * a test file declares processors for several applications (tests/unregistered.test.ts checks the
 * default, `'error'`).
 */
export function rootOptions(db: Db, extra: Partial<MonqueRootOptions> = {}): MonqueRootOptions {
  return { db, collectionName: freshCollectionName(db), ...FAST, unregisteredProcessors: 'ignore', ...extra };
}

/**
 * Compiles `metadata` into a testing module, creates the application and initialises it (all
 * lifecycle hooks), listening on a free loopback port unless `http` is false.
 */
export async function bootApp(metadata: ModuleMetadata, { http = true } = {}): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  const booted: TestApp = { app, monque: app.get(Monque), url: '' };
  running.push(booted);
  if (!http) {
    await app.init();
    return booted;
  }
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return Object.assign(booted, { url: `http://127.0.0.1:${port}` });
}

/**
 * Boots like {@link bootApp} and returns the error the bootstrap failed with (compile, create or
 * init). Fails the test when it boots.
 */
export async function bootError(metadata: ModuleMetadata): Promise<Error> {
  let app: INestApplication | undefined;
  try {
    const moduleRef = await Test.createTestingModule(metadata).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  } catch (error) {
    await app?.close().catch(() => {});
    return error as Error;
  }
  await app.close();
  throw new Error('expected the bootstrap to fail');
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

/** Sends a JSON request and returns the status and the parsed body. */
export async function request<T = unknown>(
  url: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}
