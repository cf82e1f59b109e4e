/**
 * The operator writes' guards: each single-job operation reads the job, then writes guarded by the
 * status it read, so a change made in between (a claim, a finished run, another operator) is never
 * overwritten — the write finds nothing and the operation decides again from the job as it is now.
 * The races are put exactly between the read and the write (see `race.ts`), with a fixed `now`.
 */
import { describe, expect, it } from 'vitest';
import { JobStateError } from '../../src/errors/job-state-error.js';
import { JobStatus } from '../../src/job.js';
import { ControlStore } from '../../src/store/control-store.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { useTestDb } from '../helpers/monque.js';
import { withRace } from './race.js';
import { freshStores, heldJob, plus, type Stores, stored, storeJob } from './stores.js';

const getDb = useTestDb(import.meta.url);
const NOW = new Date('2030-01-01T00:00:00Z');
const LATER = plus(NOW, 1_000);
const KEEP_CANCELLED = 3_600_000;

/** A control store whose collection lets another writer act right after the `after` call. */
function racing(stores: Stores, after: string, meddle: () => Promise<unknown>, call: number | 'every' = 1) {
  const retention = { completed: 1, failed: 1, cancelled: KEEP_CANCELLED, sweepInterval: 1 };
  return new ControlStore(withRace(stores.collection, { after, call, meddle }), retention);
}

async function stateError(work: Promise<unknown>): Promise<JobStateError> {
  const error = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(JobStateError);
  return error as JobStateError;
}

describe('cancel', () => {
  it('status guard: a pending job claimed between the read and the write is asked to stop, not made cancelled under its run', async () => {
    const stores = await freshStores(await getDb());
    const job = await storeJob(stores, NOW);
    const claim = () =>
      stores.collection.updateOne(
        { _id: job._id },
        { $set: { status: JobStatus.PROCESSING, owner: 'runner', claimToken: 'c', lockedAt: NOW } },
      );
    const result = await racing(stores, 'findOne', claim).cancel(job._id, 'ops', LATER);
    expect(result.cancelled).toBe(false);
    expect(await stored(stores, job._id)).toMatchObject({
      status: JobStatus.PROCESSING,
      cancelRequestedAt: LATER,
      cancelReason: 'ops',
      owner: 'runner',
    });
  });

  it('status guard of the request: a run that finished between the read and the write is not asked to stop; a finished job is refused', async () => {
    const stores = await freshStores(await getDb());
    const job = await heldJob(stores, NOW, 'runner', 'c');
    const finish = () =>
      stores.collection.updateOne({ _id: job._id }, { $set: { status: JobStatus.COMPLETED, lockedAt: null } });
    const error = await stateError(racing(stores, 'findOne', finish).cancel(job._id, 'ops', LATER));
    expect(error.status).toBe(JobStatus.COMPLETED);
    const doc = await stored(stores, job._id);
    expect(doc).not.toHaveProperty('cancelRequestedAt');
    expect(doc).not.toHaveProperty('cancelReason');
  });

  it('first-request guard: a request made by another operator in between keeps its time; only the reason is updated', async () => {
    const stores = await freshStores(await getDb());
    const job = await heldJob(stores, NOW, 'runner', 'c');
    const otherOperator = () =>
      stores.collection.updateOne({ _id: job._id }, { $set: { cancelRequestedAt: NOW, cancelReason: 'first' } });
    const result = await racing(stores, 'findOne', otherOperator).cancel(job._id, 'second', LATER);
    expect(result.cancelled).toBe(false);
    expect(await stored(stores, job._id)).toMatchObject({ cancelRequestedAt: NOW, cancelReason: 'second' });
  });

  it('a request repeated without a reason changes nothing; with a reason, only the reason', async () => {
    const stores = await freshStores(await getDb());
    const job = await heldJob(stores, NOW, 'runner', 'c', { cancelRequestedAt: NOW, cancelReason: 'first' });
    const again = await stores.control.cancel(job._id, undefined, LATER);
    expect(again).toEqual({ job, cancelled: false });
    expect(await stored(stores, job._id)).toEqual(job);
    await stores.control.cancel(job._id, 'second', LATER);
    expect(await stored(stores, job._id)).toEqual({ ...job, cancelReason: 'second' });
  });

  it('cancels a pending job: finished now, expiring after retention.cancelled, unique key released', async () => {
    const stores = await freshStores(await getDb());
    const job = await storeJob(stores, plus(NOW, 60_000), { uniqueKey: 'k', activeKey: 'u:k' });
    const { job: cancelled, cancelled: changed } = await stores.control.cancel(job._id, undefined, LATER);
    expect(changed).toBe(true);
    expect(cancelled).toEqual(await stored(stores, job._id));
    expect(cancelled).toMatchObject({
      status: JobStatus.CANCELLED,
      finishedAt: LATER,
      updatedAt: LATER,
      lockedAt: null,
      expireAt: plus(LATER, KEEP_CANCELLED),
      uniqueKey: 'k',
    });
    expect(cancelled).not.toHaveProperty('activeKey');
    expect(cancelled).not.toHaveProperty('cancelReason');
  });

  it('expiry bound: kept until the last time a Date can hold (exactly), never beyond it, never with retention off', async () => {
    const stores = await freshStores(await getDb());
    const lastDate = 8.64e15;
    const at = new Date(lastDate - KEEP_CANCELLED);
    const edge = await storeJob(stores, at);
    expect((await stores.control.cancel(edge._id, undefined, at)).job?.expireAt).toEqual(new Date(lastDate));
    const beyond = await storeJob(stores, at);
    const later = plus(at, 1);
    expect((await stores.control.cancel(beyond._id, undefined, later)).job).not.toHaveProperty('expireAt');
    const keepForever = new ControlStore(stores.collection, false);
    const kept = await storeJob(stores, NOW);
    expect((await keepForever.cancel(kept._id, undefined, NOW)).job).not.toHaveProperty('expireAt');
  });

  it('a job whose status keeps changing under every attempt: refused after 5 reads, the job left as the other writers made it', async () => {
    const stores = await freshStores(await getDb());
    const job = await storeJob(stores, NOW);
    let flips = 0;
    const flip = async () => {
      flips += 1;
      const status = flips % 2 === 1 ? JobStatus.PROCESSING : JobStatus.PENDING;
      await stores.collection.updateOne({ _id: job._id }, { $set: { status } });
    };
    // Each read is followed by a claim or a release: every guarded write finds another status.
    const alwaysRacing = racing(stores, 'findOne', flip, 'every');
    await stores.collection.updateOne({ _id: job._id }, { $set: { cancelRequestedAt: NOW } });
    const error = await stateError(alwaysRacing.cancel(job._id, 'ops', LATER));
    expect(error.message).toMatch(/5 attempts/);
    expect(flips).toBe(5);
    expect((await stored(stores, job._id)).status).not.toBe(JobStatus.CANCELLED);
  });
});

describe('retry', () => {
  it('status guard: a job retried by another operator between the read and the write is not reset again', async () => {
    const stores = await freshStores(await getDb());
    const job = await storeJob(stores, NOW, { status: JobStatus.FAILED, failCount: 3, finishedAt: NOW });
    const otherRetry = () =>
      stores.collection.updateOne(
        { _id: job._id },
        { $set: { status: JobStatus.PENDING, nextRunAt: NOW, failCount: 0 }, $unset: { finishedAt: '' } },
      );
    const error = await stateError(racing(stores, 'findOne', otherRetry).retry(job._id, LATER));
    expect(error.status).toBe(JobStatus.PENDING);
    expect(await stored(stores, job._id)).toMatchObject({ status: JobStatus.PENDING, nextRunAt: NOW, updatedAt: NOW });
  });

  it('retries failed and cancelled jobs only: due now, failCount 0, run fields cleared, unique key taken back', async () => {
    const stores = await freshStores(await getDb());
    const failed = await storeJob(stores, NOW, {
      status: JobStatus.FAILED,
      failCount: 3,
      failReason: 'boom',
      uniqueKey: 'k',
      finishedAt: NOW,
      expireAt: plus(NOW, 1),
      result: 1,
      progress: 50,
      owner: 'x',
      claimToken: 'c',
      cancelReason: 'r',
      cancelRequestedAt: NOW,
    });
    const retried = (await stores.control.retry(failed._id, LATER)) as JobDocument;
    expect(retried).toEqual(await stored(stores, failed._id));
    expect(retried).toMatchObject({
      status: JobStatus.PENDING,
      nextRunAt: LATER,
      failCount: 0,
      failReason: 'boom',
      lockedAt: null,
      updatedAt: LATER,
      activeKey: 'u:k',
    });
    for (const gone of ['finishedAt', 'expireAt', 'result', 'progress', 'owner', 'claimToken', 'cancelReason']) {
      expect(retried).not.toHaveProperty(gone);
    }
    expect(retried).not.toHaveProperty('cancelRequestedAt');
    for (const status of [JobStatus.PENDING, JobStatus.PROCESSING, JobStatus.COMPLETED]) {
      const other = await storeJob(stores, NOW, { status });
      expect((await stateError(stores.control.retry(other._id, LATER))).status).toBe(status);
      expect(await stored(stores, other._id)).toEqual(other);
    }
    await stores.collection.deleteOne({ _id: failed._id });
    expect(await stores.control.retry(failed._id, LATER)).toBeNull();
  });

  it('unique-key guard: refused while another active job holds the key, naming it; a cancelled schedule takes its key back', async () => {
    const stores = await freshStores(await getDb());
    const holder = await storeJob(stores, NOW, { uniqueKey: 'k', activeKey: 'u:k' });
    const old = await storeJob(stores, NOW, { status: JobStatus.CANCELLED, uniqueKey: 'k' });
    const error = await stateError(stores.control.retry(old._id, LATER));
    expect(error.message).toContain(holder._id.toHexString());
    expect(await stored(stores, old._id)).toEqual(old);
    const schedule = await storeJob(stores, NOW, { status: JobStatus.CANCELLED, repeatInterval: '0 * * * *' });
    expect(await stores.control.retry(schedule._id, LATER)).toMatchObject({ activeKey: 's:' });
  });
});

describe('reschedule', () => {
  it('status guard: a job that is not pending is refused and not moved', async () => {
    const stores = await freshStores(await getDb());
    const running = await heldJob(stores, NOW, 'runner', 'c');
    expect((await stateError(stores.control.reschedule(running._id, LATER, LATER))).status).toBe(JobStatus.PROCESSING);
    expect(await stored(stores, running._id)).toEqual(running);
  });

  it('a job given back to pending between the write and the read is moved on the next attempt', async () => {
    const stores = await freshStores(await getDb());
    const running = await heldJob(stores, NOW, 'runner', 'c');
    const release = () => stores.collection.updateOne({ _id: running._id }, { $set: { status: JobStatus.PENDING } });
    const moved = await racing(stores, 'findOneAndUpdate', release).reschedule(running._id, plus(NOW, 9), LATER);
    expect(moved).toMatchObject({ status: JobStatus.PENDING, nextRunAt: plus(NOW, 9), updatedAt: LATER });
  });

  it('an unknown id: null', async () => {
    const stores = await freshStores(await getDb());
    const job = await storeJob(stores, NOW);
    await stores.collection.deleteOne({ _id: job._id });
    expect(await stores.control.reschedule(job._id, LATER, LATER)).toBeNull();
  });
});

describe('delete', () => {
  it('status guard: a processing job is refused and kept', async () => {
    const stores = await freshStores(await getDb());
    const running = await heldJob(stores, NOW, 'runner', 'c');
    expect((await stateError(stores.control.delete(running._id))).status).toBe(JobStatus.PROCESSING);
    expect(await stored(stores, running._id)).toEqual(running);
  });

  it('a run that finished between the delete and the read: deleted on the next attempt', async () => {
    const stores = await freshStores(await getDb());
    const running = await heldJob(stores, NOW, 'runner', 'c');
    const finish = () => stores.collection.updateOne({ _id: running._id }, { $set: { status: JobStatus.COMPLETED } });
    expect(await racing(stores, 'deleteOne', finish).delete(running._id)).toBe(true);
    expect(await stores.collection.findOne({ _id: running._id })).toBeNull();
  });

  it('any other status is deleted; an unknown id: false', async () => {
    const stores = await freshStores(await getDb());
    for (const status of [JobStatus.PENDING, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED]) {
      const job = await storeJob(stores, NOW, { status });
      expect(await stores.control.delete(job._id)).toBe(true);
      expect(await stores.control.delete(job._id)).toBe(false);
    }
  });
});

describe('cancelMany', () => {
  it('status guards: pending jobs cancelled, running ones asked once (first time kept), finished ones untouched', async () => {
    const stores = await freshStores(await getDb());
    const pending = await storeJob(stores, NOW);
    const running = await heldJob(stores, NOW, 'runner', 'c');
    const asked = await heldJob(stores, NOW, 'runner', 'c', { cancelRequestedAt: NOW, cancelReason: 'first' });
    const finished = await storeJob(stores, NOW, { status: JobStatus.COMPLETED });
    expect(await stores.control.cancelMany({}, 'bulk', LATER)).toBe(2);
    expect(await stored(stores, pending._id)).toMatchObject({ status: JobStatus.CANCELLED, cancelReason: 'bulk' });
    expect(await stored(stores, running._id)).toMatchObject({
      status: JobStatus.PROCESSING,
      cancelRequestedAt: LATER,
      cancelReason: 'bulk',
    });
    expect(await stored(stores, asked._id)).toMatchObject({ cancelRequestedAt: NOW, cancelReason: 'bulk' });
    expect(await stored(stores, finished._id)).toEqual(finished);
  });

  it('without a reason, an earlier reason is kept; a query for pending jobs leaves running ones alone', async () => {
    const stores = await freshStores(await getDb());
    const asked = await heldJob(stores, NOW, 'runner', 'c', { cancelRequestedAt: NOW, cancelReason: 'first' });
    const running = await heldJob(stores, NOW, 'runner', 'c');
    expect(await stores.control.cancelMany({ statuses: [JobStatus.PENDING] }, undefined, LATER)).toBe(0);
    expect(await stored(stores, running._id)).toEqual(running);
    expect(await stores.control.cancelMany({}, undefined, LATER)).toBe(1);
    expect(await stored(stores, asked._id)).toEqual(asked);
    expect(await stored(stores, running._id)).not.toHaveProperty('cancelReason');
  });
});

describe('refusals say why, at once', () => {
  it('cancel: a finished job is refused as finished (not as a lost race), and nothing is written', async () => {
    const stores = await freshStores(await getDb());
    for (const status of [JobStatus.COMPLETED, JobStatus.FAILED]) {
      const job = await storeJob(stores, NOW, { status });
      const error = await stateError(stores.control.cancel(job._id, undefined, LATER));
      expect(error).toMatchObject({ status, message: expect.stringContaining('a finished job cannot be cancelled') });
      expect(await stored(stores, job._id)).toEqual(job);
    }
  });

  it('cancel: an unknown id is no job and nothing cancelled', async () => {
    const stores = await freshStores(await getDb());
    const job = await storeJob(stores, NOW);
    await stores.collection.deleteOne({ _id: job._id });
    expect(await stores.control.cancel(job._id, undefined, LATER)).toEqual({ job: null, cancelled: false });
  });

  it('retry, reschedule and delete: each refusal names its rule', async () => {
    const stores = await freshStores(await getDb());
    const pending = await storeJob(stores, NOW);
    const running = await heldJob(stores, NOW, 'runner', 'c');
    const retried = await stateError(stores.control.retry(pending._id, LATER));
    expect(retried.message).toContain('only failed or cancelled jobs can be retried');
    const moved = await stateError(stores.control.reschedule(running._id, LATER, LATER));
    expect(moved.message).toContain('only pending jobs can be rescheduled');
    const deleted = await stateError(stores.control.delete(running._id));
    expect(deleted.message).toContain('a running job cannot be deleted (cancel it first)');
  });
});
