/**
 * The guards of throttled enqueues (`store/throttle-store.ts`), each shown by another writer acting
 * exactly between the store's read and its write (`race.ts`), with a fixed `now`:
 * - a new window replaces the closed one it read only if that is still the window there (its job's
 *   `_id`): a window opened meanwhile by another caller stands, and the call returns its job;
 * - a window is marked inserted only while it is still the one whose job was inserted: a window
 *   opened meanwhile keeps saying its job is not inserted, so the next call inserts it;
 * - a window whose job exists but is not marked (its creator died after inserting) is marked by the
 *   call that finds it, so a later deletion never brings the job back;
 * - a duplicate-key error of a unique index of the user's own is passed on (no job is claimed to
 *   exist), as the cause of an `OutcomeUnknownError`: the window the call opened stays, and a later
 *   call in it may insert the job once the conflict is gone.
 */
import { waitUntil } from '@monque/test-backend';
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { OutcomeUnknownError } from '../../src/database-errors.js';
import { JobStatus } from '../../src/job.js';
import type { DedupeCall } from '../../src/store/dedupe-store.js';
import { RetentionStore } from '../../src/store/retention-store.js';
import {
  THROTTLE_EXPIRY_INDEX,
  ThrottleStore,
  type ThrottleWindow,
  throttleWindows,
} from '../../src/store/throttle-store.js';
import { WriteLedger } from '../../src/store/write-ledger.js';
import { useTestDb } from '../helpers/monque.js';
import { withRace } from './race.js';
import { freshStores, plus, type Stores, storeJob } from './stores.js';

const getDb = useTestDb(import.meta.url);
const NOW = new Date('2030-01-01T00:00:00Z');
const WINDOW_ID = JSON.stringify(['task', 'k']);

function call(data: unknown, now = NOW, ms = 1_000): DedupeCall {
  return {
    job: { name: 'task', data, nextRunAt: now, uniqueKey: 'k', createdAt: now },
    mode: { kind: 'throttle', ms },
    now,
    id: new ObjectId(),
    token: 'unused',
    ledger: new WriteLedger(),
  };
}

async function setup() {
  const db = await getDb();
  const stores = await freshStores(db);
  const windows = throttleWindows(db, stores.collection.collectionName);
  return { stores, windows, store: new ThrottleStore(windows, stores.collection, stores.inserts) };
}

/** A window opened at `at` for a job (stored in the jobs collection when `inserted`). */
async function openWindow(stores: Stores, windows: ReturnType<typeof throttleWindows>, at: Date, inserted: boolean) {
  const job = {
    ...stores.inserts.newDocument({ name: 'task', data: { at }, nextRunAt: at, uniqueKey: 'k' }, at),
    _id: new ObjectId(),
  };
  const { activeKey: _none, ...unkeyed } = job;
  if (inserted) await stores.collection.insertOne(unkeyed as never);
  const window: ThrottleWindow = {
    _id: WINDOW_ID,
    name: 'task',
    uniqueKey: 'k',
    at,
    expireAt: plus(at, 1_000),
    job: unkeyed as never,
    inserted,
  };
  await windows.replaceOne({ _id: WINDOW_ID }, window, { upsert: true });
  return window;
}

describe('throttle store guards', () => {
  it('compare-and-swap: a window opened by another caller between the read and the swap stands; the call returns its job', async () => {
    const { stores, windows } = await setup();
    await openWindow(stores, windows, plus(NOW, -5_000), true);
    let other: ThrottleWindow | undefined;
    const racing = withRace(windows, {
      after: 'findOne',
      meddle: async () => {
        other = await openWindow(stores, windows, NOW, true);
      },
    });
    const result = await new ThrottleStore(racing, stores.collection, stores.inserts).write(
      call({ mine: true }),
      1_000,
    );
    expect(result.outcome).toBe('throttled');
    expect(result.doc._id.equals(other?.job._id as ObjectId)).toBe(true);
    expect(await stores.collection.countDocuments()).toBe(2);
    expect((await windows.findOne({}))?.job._id.equals(other?.job._id as ObjectId)).toBe(true);
  });

  it('marking inserted: a window opened by another caller after the insert keeps saying its job is not inserted, and the next call inserts it', async () => {
    const { stores, windows } = await setup();
    let other: ThrottleWindow | undefined;
    const racingJobs = withRace(stores.collection, {
      after: 'insertOne',
      meddle: async () => {
        other = await openWindow(stores, windows, plus(NOW, 2_000), false);
      },
    });
    const first = await new ThrottleStore(windows, racingJobs, stores.inserts).write(call({ first: true }), 1_000);
    expect(first.outcome).toBe('created');
    expect(await windows.findOne({})).toMatchObject({ inserted: false });
    const next = await new ThrottleStore(windows, stores.collection, stores.inserts).write(
      call({}, plus(NOW, 2_001)),
      1_000,
    );
    expect(next.outcome).toBe('throttled');
    expect(next.doc._id.equals(other?.job._id as ObjectId)).toBe(true);
    expect(await stores.collection.findOne({ _id: other?.job._id as ObjectId })).not.toBeNull();
  });

  it('a window whose job exists but is not marked gets marked: a later deletion does not bring the job back', async () => {
    const { stores, windows, store } = await setup();
    const window = await openWindow(stores, windows, NOW, true);
    await windows.updateOne({ _id: WINDOW_ID }, { $set: { inserted: false } });
    const found = await store.write(call({}, plus(NOW, 10)), 1_000);
    expect(found).toMatchObject({ outcome: 'throttled' });
    expect(await windows.findOne({})).toMatchObject({ inserted: true });
    await stores.collection.deleteMany({});
    const again = await store.write(call({}, plus(NOW, 20)), 1_000);
    expect(again.doc._id.equals(window.job._id)).toBe(true);
    expect(await stores.collection.countDocuments()).toBe(0);
  });

  it('window boundary: at + throttle - 1 ms returns the job; at + throttle creates the next', async () => {
    const { stores, windows, store } = await setup();
    const window = await openWindow(stores, windows, NOW, true);
    expect((await store.write(call({}, plus(NOW, 999)), 1_000)).doc._id.equals(window.job._id)).toBe(true);
    const next = await store.write(call({ next: true }, plus(NOW, 1_000)), 1_000);
    expect(next).toMatchObject({ outcome: 'created', doc: { data: { next: true }, status: JobStatus.PENDING } });
    expect(await windows.findOne({})).toMatchObject({ at: plus(NOW, 1_000), inserted: true });
  });

  it('a duplicate-key error of a unique index of the user’s own is passed on (the window it opened may still get its job), and no job is claimed to exist', async () => {
    const { stores, windows, store } = await setup();
    await storeJob(stores, NOW, { data: { sku: 'A' } });
    await stores.collection.createIndex({ 'data.sku': 1 }, { unique: true, name: 'user_sku' });
    const error = await store.write(call({ sku: 'A' }), 1_000).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(((error as Error).cause as { code?: unknown }).code).toBe(11000);
    expect(await stores.collection.countDocuments()).toBe(1);
    expect(await windows.findOne({})).toMatchObject({ inserted: false });
  });

  it('the retention sweep deletes closed windows (expireAt <= now) and keeps open ones', async () => {
    const { stores, windows } = await setup();
    await openWindow(stores, windows, plus(NOW, -1_000), true);
    await windows.insertOne({ ...(await windows.findOne({})), _id: 'open', expireAt: plus(NOW, 1) } as ThrottleWindow);
    const metrics = (await getDb()).collection(`${stores.collection.collectionName}_metrics`);
    const sweep = new RetentionStore(stores.collection, metrics as never, windows);
    expect(await sweep.deleteExpired(NOW)).toEqual({ jobs: 0, metrics: 0, throttleWindows: 1 });
    expect((await windows.find({}).toArray()).map((window) => window._id)).toEqual(['open']);
  });

  it('the first window creates the TTL index that deletes closed windows where the server runs TTL', async () => {
    const { windows, store } = await setup();
    await store.write(call({}), 1_000);
    await waitUntil(
      async () => (await windows.listIndexes().toArray()).some((index) => index.name === THROTTLE_EXPIRY_INDEX),
      'the TTL index of the windows',
    );
    const index = (await windows.listIndexes().toArray()).find((found) => found.name === THROTTLE_EXPIRY_INDEX);
    expect(index).toMatchObject({ key: { expireAt: 1 }, expireAfterSeconds: 0 });
  });

  it('a call that keeps losing the window to other callers gives up after 6 rounds, saying so', async () => {
    const { stores, windows } = await setup();
    await openWindow(stores, windows, plus(NOW, -5_000), true);
    let reads = 0;
    // After each read another caller replaces the (closed) window with another closed one.
    const racing = withRace(windows, {
      after: 'findOne',
      call: 'every',
      meddle: async () => {
        reads += 1;
        await openWindow(stores, windows, plus(NOW, -5_000 + reads), true);
      },
    });
    const store = new ThrottleStore(racing, stores.collection, stores.inserts);
    const error = await store.write(call({ mine: true }), 1_000).catch((thrown: unknown) => thrown);
    expect((error as Error).message).toBe("could not open the throttle window of 'task' / 'k'");
    expect(reads).toBe(6);
    expect(await stores.collection.countDocuments({ 'data.mine': true })).toBe(0);
  });
});
