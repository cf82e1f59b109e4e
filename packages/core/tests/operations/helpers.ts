/**
 * Helpers of the operations tests: schedulers whose side collections (`_control`, `_metrics`) are
 * emptied after the file, and jobs written directly in a given status (the states no public call
 * reaches without running handlers: processing, completed, failed).
 */
import type { Collection, Db } from 'mongodb';
import { ObjectId } from 'mongodb';
import { afterAll } from 'vitest';
import { type Job, JobStatus, type JobStatusType, type Monque, type MonqueOptions } from '../../src/index.js';
import { activeKeyFor } from '../../src/store/control-store.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { createMonque, useTestDb } from '../helpers/monque.js';

const sideCollections = new Set<string>();

/**
 * {@link useTestDb}, plus cleanup of the `_control` and `_metrics` collections of every scheduler
 * made here. Schedulers on another client of the same database (a command log) must take their
 * `collectionName` from `freshCollectionName(db)` of the shared handle, so the cleanup finds them.
 */
export function useOperationsDb(fileUrl: string): () => Promise<Db> {
  const getDb = useTestDb(fileUrl);
  afterAll(async () => {
    const db = await getDb();
    for (const name of sideCollections) await db.collection(name).deleteMany({});
    sideCollections.clear();
  });
  return getDb;
}

/** Empties `<jobsCollectionName>_control` and `_metrics` after the file. */
export function rememberSideCollections(jobsCollectionName: string): void {
  sideCollections.add(`${jobsCollectionName}_control`);
  sideCollections.add(`${jobsCollectionName}_metrics`);
}

/** {@link createMonque}, remembering its side collections for cleanup. */
export function createOpsMonque(db: Db, options: MonqueOptions = {}): Monque {
  const monque = createMonque(db, options);
  rememberSideCollections(monque.options.collectionName);
  return monque;
}

/** The raw jobs collection, with the engine's fields typed. */
export function rawJobs(db: Db, monque: Monque): Collection<JobDocument> {
  return db.collection<JobDocument>(monque.options.collectionName);
}

/** What a directly written job may set; everything else gets a plausible default for its status. */
export type JobSpec = Partial<JobDocument> & { status: JobStatusType };

/** A stored document of `spec`'s status, as the engine would have left it. */
export function jobDocument(spec: JobSpec, now = new Date()): JobDocument {
  const doc: JobDocument = {
    _id: new ObjectId(),
    name: 'job',
    data: {},
    nextRunAt: now,
    lockedAt: null,
    failCount: 0,
    createdAt: now,
    updatedAt: now,
    ...spec,
  };
  if (spec.status === JobStatus.PROCESSING) {
    doc.lockedAt ??= now;
    doc.owner ??= 'another-instance';
    doc.claimToken ??= 'claim-token';
    doc.startedAt ??= now;
  }
  if (spec.status === JobStatus.FAILED) {
    doc.failReason ??= 'it broke';
    doc.failCount = spec.failCount ?? 3;
  }
  const finished =
    spec.status !== JobStatus.PENDING && spec.status !== JobStatus.PROCESSING && spec.status !== JobStatus.WAITING;
  if (finished) doc.finishedAt ??= now;
  const key = activeKeyFor(doc);
  if (!finished && key !== undefined && !('activeKey' in spec)) doc.activeKey = key;
  return doc;
}

/** Writes jobs directly (one `insertMany`). */
export async function insertJobs(db: Db, monque: Monque, specs: readonly JobSpec[]): Promise<JobDocument[]> {
  const docs = specs.map((spec) => jobDocument(spec));
  if (docs.length > 0) await rawJobs(db, monque).insertMany(docs);
  return docs;
}

/** Every stored job, sorted by id, for before/after comparisons. */
export function snapshot(db: Db, monque: Monque): Promise<Job[]> {
  return rawJobs(db, monque).find({}).sort({ _id: 1 }).toArray();
}
