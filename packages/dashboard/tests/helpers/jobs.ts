/**
 * Jobs for the dashboard tests: a Monque on a fresh collection of the file's database, and jobs
 * written directly in the states no public call reaches without running handlers (processing,
 * completed, failed), shaped as the engine leaves them.
 */
import { type Job, Monque, type MonqueOptions } from '@monque/core';
import { cleanupTestDb, freshCollectionName, getTestDb } from '@monque/test-backend';
import { type Db, ObjectId } from 'mongodb';
import { afterAll } from 'vitest';

/** What a directly written job may set. */
export type JobSpec = Partial<Job> & Pick<Job, 'status'>;

const sideCollections = new Set<string>();

/** The file's database, emptied (with the pause and metrics side collections) after the file. */
export function useDashboardDb(fileUrl: string): () => Promise<Db> {
  let db: Db | undefined;
  afterAll(async () => {
    if (db) await cleanupTestDb(db, [...sideCollections]);
  });
  return async () => {
    db ??= await getTestDb(fileUrl);
    return db;
  };
}

/** A Monque (never started) on a fresh collection; its `_control`, `_metrics` and `_limits` are cleaned too. */
export function freshMonque(db: Db, options: MonqueOptions = {}): Monque {
  const collectionName = freshCollectionName(db, 'dash');
  sideCollections.add(`${collectionName}_control`);
  sideCollections.add(`${collectionName}_metrics`);
  sideCollections.add(`${collectionName}_limits`);
  return new Monque(db, { collectionName, ...options });
}

/** Writes jobs directly, in one `insertMany`; returns them as stored. */
export async function insertJobs(db: Db, collectionName: string, specs: readonly JobSpec[]): Promise<Job[]> {
  const now = new Date();
  const docs: Job[] = specs.map((spec) => {
    const doc: Job = {
      _id: new ObjectId(),
      name: 'job',
      data: {},
      nextRunAt: now,
      lockedAt: null,
      failCount: 0,
      attempts: 0,
      createdAt: now,
      updatedAt: now,
      ...spec,
    };
    if (spec.status === 'processing') {
      doc.lockedAt ??= now;
      doc.owner ??= 'another-instance';
      doc.startedAt ??= now;
      doc.attempts = spec.attempts ?? 1;
    }
    if (spec.status === 'failed') {
      doc.failReason ??= 'it broke';
      doc.failCount = spec.failCount ?? 3;
      doc.attempts = spec.attempts ?? 3;
    }
    if (spec.status === 'completed') doc.completedAt ??= now;
    if (spec.status === 'completed' || spec.status === 'failed' || spec.status === 'cancelled') doc.finishedAt ??= now;
    return doc;
  });
  if (docs.length > 0) await db.collection(collectionName).insertMany(docs);
  return docs;
}

/**
 * Records the flow-control limits of `workers` for the collection of `monque`, as an instance
 * running those workers does when it starts (it is started and stopped here, with nothing due).
 */
export async function publishLimits(
  db: Db,
  monque: Monque,
  workers: Record<string, Parameters<Monque['worker']>[2]>,
): Promise<void> {
  const collectionName = (monque as unknown as { options: { collectionName: string } }).options.collectionName;
  const worker = new Monque(db, { collectionName, pollInterval: 60_000, changeStreamWakeups: false });
  for (const [name, options] of Object.entries(workers)) worker.worker(name, () => {}, options);
  await worker.start();
  await worker.stop();
}
