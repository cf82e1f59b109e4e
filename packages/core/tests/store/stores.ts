/**
 * Stores on a fresh collection of the test database, with claimed jobs to write outcomes for:
 * store-level tests check each guard of a query directly, with a fixed `now`.
 */
import { freshCollectionName } from '@monque/test-backend';
import { type Collection, type Db, ObjectId } from 'mongodb';
import { expect } from 'vitest';
import { JobStatus } from '../../src/job.js';
import { ClaimStore } from '../../src/store/claim-store.js';
import { ControlStore } from '../../src/store/control-store.js';
import { IndexManager } from '../../src/store/indexes.js';
import { InsertStore, type NewJob } from '../../src/store/insert-store.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { LockStore } from '../../src/store/lock-store.js';
import { OutcomeStore } from '../../src/store/outcome-store.js';
import { ScheduleStore } from '../../src/store/schedule-store.js';

/** The stores of one fresh collection. */
export interface Stores {
  readonly collection: Collection<JobDocument>;
  readonly inserts: InsertStore;
  readonly claims: ClaimStore;
  readonly outcomes: OutcomeStore;
  readonly locks: LockStore;
  readonly schedules: ScheduleStore;
  /** Operator writes, with retention of 1 h for cancelled jobs. */
  readonly control: ControlStore;
}

/** Retention used by {@link Stores.control}: cancelled jobs are kept 1 h. */
export const CONTROL_RETENTION = { completed: 60_000, failed: 60_000, cancelled: 3_600_000, sweepInterval: 60_000 };

/** Stores on a fresh collection, with the indexes created. */
export async function freshStores(db: Db): Promise<Stores> {
  const collection = db.collection<JobDocument>(freshCollectionName(db));
  await new IndexManager(collection, []).ensure();
  return {
    collection,
    inserts: new InsertStore(collection),
    claims: new ClaimStore(collection),
    outcomes: new OutcomeStore(collection),
    locks: new LockStore(collection),
    schedules: new ScheduleStore(collection),
    control: new ControlStore(collection, CONTROL_RETENTION),
  };
}

/** `count` jobs named `task` due at `now`, claimed together by `owner` under one token. */
export async function claimedJobs(stores: Stores, count: number, now: Date, owner = 'instance-a') {
  const jobs: NewJob[] = Array.from({ length: count }, (_, n) => ({ name: 'task', data: { n }, nextRunAt: now }));
  const inserted = await stores.inserts.insertBatch(jobs, now);
  const docs = inserted.flatMap((result) => ('doc' in result ? [result.doc] : []));
  const stamp = { owner, token: `claim-${owner}-${now.getTime()}`, now };
  expect(await stores.claims.claimIds(docs, stamp)).toBe(count);
  const claimed = await stores.claims.findClaimed(owner, [stamp.token]);
  expect(claimed).toHaveLength(count);
  return { claimed, token: stamp.token };
}

/** `ms` after `at`. */
export function plus(at: Date, ms: number): Date {
  return new Date(at.getTime() + ms);
}

/**
 * Stores one job exactly as given (defaults: `pending`, named `task`, due and created at `at`), for
 * tests that need a state no public call produces in one step.
 */
export async function storeJob(
  stores: Pick<Stores, 'collection'>,
  at: Date,
  fields: Partial<JobDocument> = {},
): Promise<JobDocument> {
  const doc: JobDocument = {
    _id: new ObjectId(),
    name: 'task',
    data: {},
    status: JobStatus.PENDING,
    nextRunAt: at,
    priority: 0,
    lockedAt: null,
    failCount: 0,
    attempts: 0,
    createdAt: at,
    updatedAt: at,
    ...fields,
  };
  await stores.collection.insertOne(doc);
  return doc;
}

/** A `processing` job held by `owner` under `token`, locked at `at`. */
export function heldJob(
  stores: Pick<Stores, 'collection'>,
  at: Date,
  owner: string,
  token: string,
  fields: Partial<JobDocument> = {},
): Promise<JobDocument> {
  return storeJob(stores, at, {
    status: JobStatus.PROCESSING,
    owner,
    claimToken: token,
    lockedAt: at,
    startedAt: at,
    attempts: 1,
    ...fields,
  });
}

/** The stored job `id` (fails the test when it is gone). */
export async function stored(stores: Pick<Stores, 'collection'>, id: ObjectId): Promise<JobDocument> {
  const doc = await stores.collection.findOne({ _id: id });
  expect(doc, `job ${id.toHexString()} to exist`).not.toBeNull();
  return doc as JobDocument;
}
