/**
 * Test helpers for core: a database per test file, a fresh small collection per test, and
 * schedulers that a test must stop (a test that leaves one running fails).
 */
import { cleanupTestDb, freshCollectionName, getTestDb, waitUntil } from '@monque/test-backend';
import type { Collection, Db, ObjectId } from 'mongodb';
import { afterAll, afterEach, expect } from 'vitest';
import { type Job, Monque, type MonqueOptions } from '../../src/index.js';

export { deferred, nextEvent } from './events.js';

const created: Monque[] = [];

/** Fast defaults for tests. */
export const FAST: MonqueOptions = { pollInterval: 50, baseRetryInterval: 10, shutdownTimeout: 5_000 };

/** Opens this file's database and registers cleanup. Call once at the top of a test file. */
export function useTestDb(fileUrl: string): () => Promise<Db> {
  let db: Db | undefined;
  afterEach(async () => {
    const leftRunning = created.filter((monque) => monque.isRunning);
    await Promise.all(created.map((monque) => monque.stop()));
    created.length = 0;
    expect(leftRunning.length, 'a test left a scheduler running').toBe(0);
  });
  afterAll(async () => {
    if (db) await cleanupTestDb(db);
  });
  return async () => {
    db ??= await getTestDb(fileUrl);
    return db;
  };
}

/** A scheduler on a fresh collection (or the one given), tracked so the test must stop it. */
export function createMonque(db: Db, options: MonqueOptions = {}): Monque {
  const monque = new Monque(db, {
    ...FAST,
    collectionName: options.collectionName ?? freshCollectionName(db),
    ...options,
  });
  created.push(monque);
  return monque;
}

/** The raw jobs collection of a scheduler. */
export function jobsOf(db: Db, monque: Monque): Collection<Job> {
  return db.collection<Job>(monque.options.collectionName);
}

/** Resolves once job `id` has `status` in the database. */
export async function waitForStatus(db: Db, monque: Monque, id: ObjectId, status: Job['status'], timeoutMs = 10_000) {
  const jobs = jobsOf(db, monque);
  await waitUntil(async () => (await jobs.findOne({ _id: id }))?.status === status, `job ${id} to be ${status}`, {
    timeoutMs,
  });
  return (await jobs.findOne({ _id: id })) as Job;
}
