/**
 * The bounds of the operator writes' race handling: a single-job operation that keeps losing its
 * guarded write reads again at most 5 times, then refuses saying so, having written nothing of its
 * own; a bulk retry that keeps losing unique keys to other writers tries twice, then leaves those
 * jobs as they are. The other writers act exactly between the store's read and its write
 * (`race.ts`), with a fixed `now`. Also: an error that is not a lost race is passed on as it is, a
 * key conflict names the key, and the bulk writes touch only what they were asked for.
 */
import type { Collection, ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { JobStateError } from '../../src/errors/job-state-error.js';
import { JobStatus, type JobStatusType } from '../../src/job.js';
import { ControlStore } from '../../src/store/control-store.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { checkJobQuery } from '../../src/store/job-query.js';
import { useTestDb } from '../helpers/monque.js';
import { type Race, withRace } from './race.js';
import { CONTROL_RETENTION, freshStores, heldJob, plus, type Stores, stored, storeJob } from './stores.js';

const getDb = useTestDb(import.meta.url);
const NOW = new Date('2030-01-01T00:00:00Z');
const LATER = plus(NOW, 1_000);

/** A control store whose collection lets other writers act after each of the `races`. */
function racing(stores: Stores, ...races: Race[]): ControlStore {
  const collection = races.reduce<Collection<JobDocument>>((inner, race) => withRace(inner, race), stores.collection);
  return new ControlStore(collection, CONTROL_RETENTION);
}

/** Another writer that sets job `id`'s status, counting how often it acted. */
function setter(stores: Stores, id: ObjectId, status: JobStatusType) {
  const writer = {
    times: 0,
    act: async () => {
      writer.times += 1;
      await stores.collection.updateOne({ _id: id }, { $set: { status } });
    },
  };
  return writer;
}

async function lostRace(work: Promise<unknown>): Promise<JobStateError> {
  const error = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(JobStateError);
  expect((error as Error).message).toContain('its status kept changing during 5 attempts; nothing was changed');
  return error as JobStateError;
}

describe('single-job operations losing every race: 5 attempts, then a refusal that says so', () => {
  it('retry: the job flips between failed and cancelled after each read, so each guarded write misses', async () => {
    const stores = await freshStores(await getDb());
    const job = await storeJob(stores, NOW, { status: JobStatus.FAILED, finishedAt: NOW });
    let reads = 0;
    const flip = async () => {
      reads += 1;
      const status = reads % 2 === 1 ? JobStatus.CANCELLED : JobStatus.FAILED;
      await stores.collection.updateOne({ _id: job._id }, { $set: { status } });
    };
    const error = await lostRace(
      racing(stores, { after: 'findOne', call: 'every', meddle: flip }).retry(job._id, LATER),
    );
    expect(reads).toBe(5);
    // The status of the last read; the other writer flipped it once more after that.
    expect(error.status).toBe(JobStatus.FAILED);
    // Only the other writer's flips: the retry itself wrote nothing.
    expect(await stored(stores, job._id)).toEqual({ ...job, status: JobStatus.CANCELLED });
  });

  it('reschedule: the job is running at each write and pending again at each read', async () => {
    const stores = await freshStores(await getDb());
    const job = await heldJob(stores, NOW, 'runner', 'c');
    const release = setter(stores, job._id, JobStatus.PENDING);
    const claim = setter(stores, job._id, JobStatus.PROCESSING);
    const store = racing(
      stores,
      { after: 'findOneAndUpdate', call: 'every', meddle: release.act },
      { after: 'findOne', call: 'every', meddle: claim.act },
    );
    const error = await lostRace(store.reschedule(job._id, plus(NOW, 9), LATER));
    expect([release.times, claim.times]).toEqual([5, 5]);
    expect(error.status).toBe(JobStatus.PENDING);
    expect(await stored(stores, job._id)).toEqual(job);
  });

  it('delete: the job is running at each delete and finished at each read', async () => {
    const stores = await freshStores(await getDb());
    const job = await heldJob(stores, NOW, 'runner', 'c');
    const finish = setter(stores, job._id, JobStatus.COMPLETED);
    const rerun = setter(stores, job._id, JobStatus.PROCESSING);
    const store = racing(
      stores,
      { after: 'deleteOne', call: 'every', meddle: finish.act },
      { after: 'findOne', call: 'every', meddle: rerun.act },
    );
    const error = await lostRace(store.delete(job._id));
    expect([finish.times, rerun.times]).toEqual([5, 5]);
    expect(error.status).toBe(JobStatus.PROCESSING);
    expect(await stored(stores, job._id)).toEqual(job);
  });
});

describe('retryMany losing unique keys', () => {
  /** Failed jobs with keys k0…k(n-1), the last one the newest (it is written first in the batch). */
  async function failedWithKeys(stores: Stores, count: number): Promise<JobDocument[]> {
    const jobs: JobDocument[] = [];
    for (let n = 0; n < count; n += 1) {
      jobs.push(await storeJob(stores, NOW, { status: JobStatus.FAILED, uniqueKey: `k${n}`, data: { n } }));
    }
    return jobs;
  }

  it('two rounds at most: a key taken again before each write is left failed, with no third try', async () => {
    const stores = await freshStores(await getDb());
    const [contended] = (await failedWithKeys(stores, 1)) as [JobDocument];
    const take = () => storeJob(stores, NOW, { uniqueKey: 'k0', activeKey: 'u:k0', data: { holder: true } });
    const free = () => stores.collection.deleteMany({ 'data.holder': true });
    // The store's finds: 1 the keyed jobs, 2 the keys held (round 1), 3 the read-back of what was
    // written, 4 the keys held (round 2), 5 the read-back. Another writer takes k0 after each check
    // of the held keys and gives it up after each read-back: k0 is free whenever it is checked, and
    // a third round would find it free and take it.
    const actions = new Map<number, () => Promise<unknown>>([
      [2, take],
      [3, free],
      [4, take],
      [5, free],
    ]);
    let finds = 0;
    const meddle = async () => {
      finds += 1;
      await actions.get(finds)?.();
    };
    const count = await racing(stores, { after: 'find', call: 'every', meddle }).retryMany(checkJobQuery({}), LATER);
    expect(count).toBe(0);
    expect(finds).toBe(5);
    expect(await stored(stores, contended._id)).toEqual(contended);
  });

  it('a key held before the check is not tried at all: one round, no read-back; with every key held, no write at all', async () => {
    const stores = await freshStores(await getDb());
    const [free, held] = (await failedWithKeys(stores, 2)) as [JobDocument, JobDocument];
    await storeJob(stores, NOW, { uniqueKey: 'k1', activeKey: 'u:k1', data: { holder: true } });
    let finds = 0;
    const store = racing(stores, {
      after: 'find',
      call: 'every',
      meddle: async () => {
        finds += 1;
      },
    });
    expect(await store.retryMany(checkJobQuery({}), LATER)).toBe(1);
    expect(finds).toBe(2);
    expect(await stored(stores, held._id)).toEqual(held);
    expect(await stored(stores, free._id)).toMatchObject({ status: JobStatus.PENDING, activeKey: 'u:k0' });
    // Now every key left is held: nothing to write, and no empty batch is sent.
    expect(await store.retryMany(checkJobQuery({}), LATER)).toBe(0);
    expect(finds).toBe(4);
    expect(await stored(stores, held._id)).toEqual(held);
  });
});

describe('errors that are not lost races are passed on', () => {
  const lostConnection = async () => {
    throw new Error('connection lost after the write');
  };

  it('retry: an error of the guarded write that is not a key conflict is passed on as it is', async () => {
    const stores = await freshStores(await getDb());
    const job = await storeJob(stores, NOW, { status: JobStatus.FAILED, uniqueKey: 'k' });
    const store = racing(stores, { after: 'findOneAndUpdate', meddle: lostConnection });
    await expect(store.retry(job._id, LATER)).rejects.toThrow('connection lost after the write');
  });

  it('retryMany: an error of the keyed batch that is not a key conflict is passed on, not read back', async () => {
    const stores = await freshStores(await getDb());
    await storeJob(stores, NOW, { status: JobStatus.FAILED, uniqueKey: 'k' });
    const store = racing(stores, { after: 'bulkWrite', meddle: lostConnection });
    await expect(store.retryMany(checkJobQuery({}), LATER)).rejects.toThrow('connection lost after the write');
  });
});

describe('retry names what holds the key', () => {
  it('a schedule without a unique key: its empty key is shown as empty', async () => {
    const stores = await freshStores(await getDb());
    await storeJob(stores, NOW, { name: 'report', repeatInterval: '0 * * * *', activeKey: 's:' });
    const old = await storeJob(stores, NOW, {
      name: 'report',
      status: JobStatus.CANCELLED,
      repeatInterval: '0 * * * *',
    });
    const error = await stores.control.retry(old._id, LATER).then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );
    expect(error?.message).toContain("its unique key '' is held by active job");
  });
});

describe('bulk writes keep to what they were asked', () => {
  it('cancelMany for running jobs only leaves pending jobs alone', async () => {
    const stores = await freshStores(await getDb());
    const pending = await storeJob(stores, NOW);
    const running = await heldJob(stores, NOW, 'runner', 'c');
    expect(await stores.control.cancelMany(checkJobQuery({ status: JobStatus.PROCESSING }), 'r', LATER)).toBe(1);
    expect(await stored(stores, pending._id)).toEqual(pending);
    expect(await stored(stores, running._id)).toMatchObject({ cancelRequestedAt: LATER });
  });

  it('retryMany gives schedules and keyed jobs their keys back; plain jobs get none', async () => {
    const stores = await freshStores(await getDb());
    const schedule = await storeJob(stores, NOW, { status: JobStatus.CANCELLED, repeatInterval: '0 * * * *' });
    const keyed = await storeJob(stores, NOW, { status: JobStatus.FAILED, uniqueKey: 'k' });
    const plain = await storeJob(stores, NOW, { status: JobStatus.FAILED });
    expect(await stores.control.retryMany(checkJobQuery({}), LATER)).toBe(3);
    expect(await stored(stores, schedule._id)).toMatchObject({ status: JobStatus.PENDING, activeKey: 's:' });
    expect(await stored(stores, keyed._id)).toMatchObject({ status: JobStatus.PENDING, activeKey: 'u:k' });
    expect(await stored(stores, plain._id)).not.toHaveProperty('activeKey');
  });
});
