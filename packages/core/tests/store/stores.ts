/**
 * Stores on a fresh collection of the test database, with claimed jobs to write outcomes for:
 * store-level tests check each guard of a query directly, with a fixed `now`.
 */
import { freshCollectionName } from '@monque/test-backend';
import type { Collection, Db } from 'mongodb';
import { expect } from 'vitest';
import { ClaimStore } from '../../src/store/claim-store.js';
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
}

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
  };
}

/** `count` jobs named `task` due at `now`, claimed together by `owner` under one token. */
export async function claimedJobs(stores: Stores, count: number, now: Date, owner = 'instance-a') {
  const jobs: NewJob[] = Array.from({ length: count }, (_, n) => ({ name: 'task', data: { n }, nextRunAt: now }));
  const inserted = await stores.inserts.insertBatch(jobs, now);
  const ids = inserted.map((result) => ('doc' in result ? result.doc._id : undefined)).filter((id) => id !== undefined);
  const stamp = { owner, token: `claim-${owner}-${now.getTime()}`, now };
  expect(await stores.claims.claimIds(ids, stamp)).toBe(count);
  const claimed = await stores.claims.findClaimed(owner, [stamp.token]);
  expect(claimed).toHaveLength(count);
  return { claimed, token: stamp.token };
}
