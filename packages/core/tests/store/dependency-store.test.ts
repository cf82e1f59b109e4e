/**
 * The guards of the dependency and dead-letter queries, store-level with a fixed `now`: a release
 * only of jobs still `waiting`; a marker cleared only if its job has not changed since it finished;
 * retention held back while anything is owed; a cancellation of a job with dependents keeps no
 * expiry; a deletion only of the status read. Races are put between a read and a guarded write
 * with `race.ts`.
 */
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/job.js';
import { ClaimStore } from '../../src/store/claim-store.js';
import { ControlStore } from '../../src/store/control-store.js';
import { DeadLetterStore } from '../../src/store/dead-letter-store.js';
import { DependencyStore, type ExpiryOf, settledOf } from '../../src/store/dependency-store.js';
import { useTestDb } from '../helpers/monque.js';
import { withRace } from './race.js';
import { CONTROL_RETENTION, freshStores, plus, stored, storeJob } from './stores.js';

const getDb = useTestDb(import.meta.url);
const NOW = new Date('2033-03-03T03:03:03Z');
const DAY = 86_400_000;
const expiry: ExpiryOf = (_status, at) => plus(at, DAY);

async function setUp() {
  const stores = await freshStores(await getDb());
  return { ...stores, dependencies: new DependencyStore(stores.collection, expiry) };
}

describe('telling dependents', () => {
  it('status guard of the release: a dependent cancelled between the read and the release stays cancelled', async () => {
    const { collection } = await setUp();
    const done = await storeJob({ collection }, NOW, { status: JobStatus.COMPLETED, notifyDependents: true });
    const dependent = await storeJob({ collection }, NOW, { status: JobStatus.WAITING, dependsOn: [done._id] });
    const raced = new DependencyStore(
      withRace(collection, {
        after: 'find',
        meddle: () =>
          collection.updateOne({ _id: dependent._id }, { $set: { status: JobStatus.CANCELLED, cancelReason: 'op' } }),
      }),
      expiry,
    );
    const result = await raced.tellDependents([settledOf(done)], NOW);
    expect(result.released).toHaveLength(1);
    expect(await stored({ collection }, dependent._id)).toMatchObject({ status: JobStatus.CANCELLED });
  });

  it('a dependent is released only once every dependency is settled', async () => {
    const { collection, dependencies } = await setUp();
    const a = await storeJob({ collection }, NOW, { status: JobStatus.COMPLETED, notifyDependents: true });
    const b = await storeJob({ collection }, NOW, { status: JobStatus.PENDING, notifyDependents: true });
    const dependent = await storeJob({ collection }, NOW, { status: JobStatus.WAITING, dependsOn: [a._id, b._id] });
    expect((await dependencies.tellDependents([settledOf(a)], NOW)).released).toEqual([]);
    expect(await stored({ collection }, dependent._id)).toMatchObject({ status: JobStatus.WAITING });
    await collection.updateOne({ _id: b._id }, { $set: { status: JobStatus.COMPLETED } });
    const b2 = await stored({ collection }, b._id);
    expect((await dependencies.tellDependents([settledOf(b2)], NOW)).released).toHaveLength(1);
    expect(await stored({ collection }, dependent._id)).toMatchObject({ status: JobStatus.PENDING, nextRunAt: NOW });
  });

  it('version guard of the marker: a job retried between telling and clearing keeps its marker', async () => {
    const { collection } = await setUp();
    const failed = await storeJob({ collection }, NOW, { status: JobStatus.FAILED, notifyDependents: true });
    await storeJob({ collection }, NOW, { status: JobStatus.WAITING, dependsOn: [failed._id] });
    const raced = new DependencyStore(
      withRace(collection, {
        after: 'find',
        meddle: () =>
          collection.updateOne({ _id: failed._id }, { $set: { status: JobStatus.PENDING, updatedAt: plus(NOW, 1) } }),
      }),
      expiry,
    );
    await raced.tellDependents([settledOf(failed)], NOW);
    expect(await stored({ collection }, failed._id)).toMatchObject({
      status: JobStatus.PENDING,
      notifyDependents: true,
    });
  });

  it('a told job gets the expiry held back, unless its dead letter is still due; a deleted one is deleted', async () => {
    const { collection, dependencies } = await setUp();
    const finished = { status: JobStatus.FAILED, notifyDependents: true as const, finishedAt: NOW };
    const plain = await storeJob({ collection }, NOW, finished);
    const owing = await storeJob({ collection }, NOW, { ...finished, deadLetterDue: 'dl' });
    const deleting = await storeJob({ collection }, NOW, { ...finished, deleting: true });
    await dependencies.tellDependents([plain, owing, deleting].map(settledOf), NOW);
    expect(await stored({ collection }, plain._id)).toMatchObject({ expireAt: plus(NOW, DAY) });
    expect(await stored({ collection }, plain._id)).not.toHaveProperty('notifyDependents');
    const owingNow = await stored({ collection }, owing._id);
    expect(owingNow).not.toHaveProperty('notifyDependents');
    expect(owingNow).not.toHaveProperty('expireAt');
    expect(await collection.findOne({ _id: deleting._id })).toBeNull();
  });

  it('dependents cancelled: with dependents of their own they keep no expiry, and are the next round', async () => {
    const { collection, dependencies } = await setUp();
    const failed = await storeJob({ collection }, NOW, { status: JobStatus.FAILED, notifyDependents: true });
    const leaf = await storeJob({ collection }, NOW, { status: JobStatus.WAITING, dependsOn: [failed._id] });
    const middle = await storeJob({ collection }, NOW, {
      status: JobStatus.WAITING,
      dependsOn: [failed._id],
      notifyDependents: true,
    });
    const tolerant = await storeJob({ collection }, NOW, {
      status: JobStatus.WAITING,
      dependsOn: [failed._id],
      onDependencyFailure: 'run',
    });
    const result = await dependencies.tellDependents([settledOf(failed)], NOW);
    expect(await stored({ collection }, leaf._id)).toMatchObject({
      status: JobStatus.CANCELLED,
      expireAt: plus(NOW, DAY),
    });
    expect(await stored({ collection }, middle._id)).toMatchObject({ status: JobStatus.CANCELLED });
    expect(await stored({ collection }, middle._id)).not.toHaveProperty('expireAt');
    expect(await stored({ collection }, tolerant._id)).toMatchObject({ status: JobStatus.PENDING });
    expect(result.next.map((next) => next.id)).toEqual([middle._id]);
    expect(result.cancelled.map((doc) => doc._id).sort()).toEqual([leaf._id, middle._id].sort());
  });
});

describe('deleting jobs with dependents', () => {
  it('status guard: a job that changed status since it was read is not marked', async () => {
    const { collection, dependencies } = await setUp();
    const doc = await storeJob({ collection }, NOW, { status: JobStatus.PENDING, notifyDependents: true });
    await collection.updateOne({ _id: doc._id }, { $set: { status: JobStatus.PROCESSING } });
    expect(await dependencies.beginDelete([doc], NOW)).toEqual([]);
    expect(await stored({ collection }, doc._id)).not.toHaveProperty('deleting');
  });

  it('a job not finished is cancelled as deleted; a finished one keeps its status', async () => {
    const { collection, dependencies } = await setUp();
    const pending = await storeJob({ collection }, NOW, { status: JobStatus.PENDING, notifyDependents: true });
    const done = await storeJob({ collection }, NOW, { status: JobStatus.COMPLETED, notifyDependents: true });
    const marked = await dependencies.beginDelete([pending, done], NOW);
    expect(marked.map((doc) => [doc.status, doc.deleting]).sort()).toEqual([
      [JobStatus.CANCELLED, true],
      [JobStatus.COMPLETED, true],
    ]);
    expect(marked.map((doc) => settledOf(doc).outcome).sort()).toEqual(['completed', 'deleted']);
  });
});

describe('cancelling jobs with dependents (ControlStore)', () => {
  it('keeps no expiry on a job with dependents, also when one is linked between the read and the write', async () => {
    const stores = await setUp();
    const { collection, control } = stores;
    const marked = await storeJob({ collection }, NOW, { status: JobStatus.WAITING, notifyDependents: true });
    expect((await control.cancel(marked._id, undefined, NOW)).job).not.toHaveProperty('expireAt');
    const plain = await storeJob({ collection }, NOW);
    expect((await control.cancel(plain._id, undefined, NOW)).job).toMatchObject({
      expireAt: plus(NOW, CONTROL_RETENTION.cancelled),
    });
    const racing = await storeJob({ collection }, NOW);
    const raced = new ControlStore(
      withRace(collection, {
        after: 'findOne',
        meddle: () => collection.updateOne({ _id: racing._id }, { $set: { notifyDependents: true } }),
      }),
      CONTROL_RETENTION,
    );
    const result = await raced.cancel(racing._id, undefined, NOW);
    expect(result).toMatchObject({ cancelled: true, job: { status: JobStatus.CANCELLED, notifyDependents: true } });
    expect(result.job).not.toHaveProperty('expireAt');
  });

  it('cancelJobs keeps no expiry on the jobs with dependents it cancels', async () => {
    const { collection, control } = await setUp();
    const marked = await storeJob({ collection }, NOW, { notifyDependents: true });
    const plain = await storeJob({ collection }, NOW, { status: JobStatus.WAITING });
    expect(await control.cancelMany({}, undefined, NOW)).toBe(2);
    expect(await stored({ collection }, marked._id)).not.toHaveProperty('expireAt');
    expect(await stored({ collection }, plain._id)).toMatchObject({
      status: JobStatus.CANCELLED,
      expireAt: expect.any(Date),
    });
  });
});

describe('giving back a claim whose cancellation was requested (ClaimStore)', () => {
  it('cancels it; one with dependents keeps no expiry until they are told', async () => {
    const { collection } = await setUp();
    const claims = new ClaimStore(collection, CONTROL_RETENTION);
    const fields = { cancelRequestedAt: NOW, claimToken: 'token', owner: 'a', status: JobStatus.PROCESSING };
    const marked = await storeJob({ collection }, NOW, { ...fields, notifyDependents: true });
    const plain = await storeJob({ collection }, NOW, fields);
    expect(await claims.release('a', ['token'], NOW)).toBe(2);
    expect(await stored({ collection }, marked._id)).toMatchObject({ status: JobStatus.CANCELLED });
    expect(await stored({ collection }, marked._id)).not.toHaveProperty('expireAt');
    expect(await stored({ collection }, plain._id)).toMatchObject({
      status: JobStatus.CANCELLED,
      expireAt: expect.any(Date),
    });
  });
});

describe('dead letters (DeadLetterStore)', () => {
  it('written once under its id; the marker cleared only if unchanged, with the expiry unless dependents are owed', async () => {
    const { collection, inserts } = await setUp();
    const letters = new DeadLetterStore(collection, expiry);
    const failed = { status: JobStatus.FAILED, finishedAt: NOW, deadLetterDue: 'dl' };
    const plain = await storeJob({ collection }, NOW, failed);
    const owing = await storeJob({ collection }, NOW, { ...failed, notifyDependents: true });
    const changed = await storeJob({ collection }, NOW, failed);
    await collection.updateOne({ _id: changed._id }, { $set: { updatedAt: plus(NOW, 1) } });
    const sources = [plain, owing, changed].map((doc, n) => ({
      job: doc,
      letter: inserts.newDocument({ name: 'dl', data: { n }, nextRunAt: NOW, fields: { _id: new ObjectId() } }, NOW),
    }));
    await letters.write(sources);
    await letters.write(sources);
    expect(await collection.countDocuments({ name: 'dl' })).toBe(3);
    expect(await stored({ collection }, plain._id)).toMatchObject({ expireAt: plus(NOW, DAY) });
    expect(await stored({ collection }, plain._id)).not.toHaveProperty('deadLetterDue');
    const owingNow = await stored({ collection }, owing._id);
    expect(owingNow).not.toHaveProperty('deadLetterDue');
    expect(owingNow).not.toHaveProperty('expireAt');
    expect(await stored({ collection }, changed._id)).toMatchObject({ deadLetterDue: 'dl' });
  });
});
