/**
 * Helpers of the workflow tests: a job's stored state, waiting for a status, and schedulers whose
 * workflow sweep never runs unless a test asks for it (so a release seen in a test was made by the
 * path under test, not by the sweep).
 */
import { waitUntil } from '@monque/test-backend';
import type { Collection, Db, ObjectId } from 'mongodb';
import type { JobStatusType, Monque, MonqueOptions } from '../../src/index.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { createMonque } from '../helpers/monque.js';

/** No sweep for an hour: releases must come from the completing instance or the operation. */
export const NO_SWEEP: MonqueOptions = { staleCheckInterval: 3_600_000, lockTimeout: 7_200_000 };

/** A scheduler whose workflow sweep does not run during a test (see {@link NO_SWEEP}). */
export function createWorkflowMonque(db: Db, options: MonqueOptions = {}): Monque {
  return createMonque(db, { ...NO_SWEEP, ...options });
}

/** The raw jobs collection, engine fields typed. */
export function rawJobs(db: Db, monque: Monque): Collection<JobDocument> {
  return db.collection<JobDocument>(monque.options.collectionName);
}

/** The stored job `id` (`null` when gone). */
export function stored(db: Db, monque: Monque, id: ObjectId): Promise<JobDocument | null> {
  return rawJobs(db, monque).findOne({ _id: id });
}

/** The stored status of each of `ids`, in order (`'gone'` for a deleted job). */
export async function statuses(db: Db, monque: Monque, ids: readonly ObjectId[]): Promise<string[]> {
  const docs = await rawJobs(db, monque)
    .find({ _id: { $in: [...ids] } })
    .toArray();
  const byId = new Map(docs.map((doc) => [doc._id.toHexString(), doc.status]));
  return ids.map((id) => byId.get(id.toHexString()) ?? 'gone');
}

/** Resolves once every one of `ids` has `status`. */
export async function waitForAll(
  db: Db,
  monque: Monque,
  ids: readonly ObjectId[],
  status: JobStatusType,
  timeoutMs = 15_000,
): Promise<void> {
  await waitUntil(
    async () => (await statuses(db, monque, ids)).every((value) => value === status),
    `${ids.length} jobs to be ${status}`,
    { timeoutMs },
  );
}
