import { freshCollectionName } from '@monque/test-backend';
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  ConnectionError,
  InvalidArgumentError,
  type Job,
  JobStateError,
  JobStatus,
  type JobStatusType,
  type Monque,
  type MonqueEventMap,
} from '../../src/index.js';
import { waitForStatus } from '../helpers/monque.js';
import { openOwnClient, useOwnClients } from '../helpers/own-client.js';
import { TestClock } from '../helpers/test-clock.js';
import { createOpsMonque, insertJobs, rawJobs, snapshot, useOperationsDb } from './helpers.js';

const getDb = useOperationsDb(import.meta.url);
useOwnClients();

const DAY = 24 * 60 * 60 * 1000;

/** Every payload of `event` emitted while the returned list is alive. */
function collect<K extends keyof MonqueEventMap>(monque: Monque, event: K): MonqueEventMap[K][] {
  const seen: MonqueEventMap[K][] = [];
  monque.on(event, (payload) => {
    seen.push(payload);
  });
  return seen;
}

/** Asserts `work` rejects with a JobStateError for `id` in `status`. */
async function expectStateError(work: Promise<unknown>, id: ObjectId, status: JobStatusType): Promise<void> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JobStateError);
  expect((error as JobStateError).jobId.equals(id)).toBe(true);
  expect((error as JobStateError).status).toBe(status);
}

describe('cancelJob', () => {
  it('cancels a pending job at once: finished, kept for retention.cancelled, its unique key released', async () => {
    const db = await getDb();
    const clock = new TestClock('2030-03-01T12:00:00Z');
    const monque = createOpsMonque(db, { clock });
    const cancelled = collect(monque, 'job:cancelled');
    const job = await monque.enqueue('mail', { to: 'a' }, { uniqueKey: 'mail-a', runAt: new Date('2030-03-02') });
    clock.advance(1000);
    const result = await monque.cancelJob(job._id, { reason: 'customer left' });
    expect(result?.status).toBe(JobStatus.CANCELLED);
    expect(result?.cancelReason).toBe('customer left');
    expect(result?.finishedAt).toEqual(clock.now());
    expect(result?.updatedAt).toEqual(clock.now());
    expect(result?.lockedAt).toBeNull();
    expect(result).not.toHaveProperty('expireAt');
    const stored = await rawJobs(db, monque).findOne({ _id: job._id });
    expect(stored?.expireAt).toEqual(new Date(clock.now().getTime() + 7 * DAY));
    expect(stored).not.toHaveProperty('activeKey');
    expect(cancelled).toEqual([{ job: result }]);
    const again = await monque.enqueue('mail', { to: 'a' }, { uniqueKey: 'mail-a' });
    expect(again._id.equals(job._id)).toBe(false);
  });

  it('sets expireAt from retention.cancelled, and none when retention is off or infinite', async () => {
    const db = await getDb();
    const clock = new TestClock('2030-03-01T12:00:00Z');
    const cases = [
      [{ cancelled: 5_000 }, new Date(clock.now().getTime() + 5_000)],
      [{ cancelled: Number.POSITIVE_INFINITY }, undefined],
      [false, undefined],
    ] as const;
    for (const [retention, expected] of cases) {
      const monque = createOpsMonque(db, { clock, retention });
      const job = await monque.enqueue('x', null);
      await monque.cancelJob(job._id);
      expect((await rawJobs(db, monque).findOne({ _id: job._id }))?.expireAt).toEqual(expected);
    }
  });

  it('asks a processing job to stop, keeping the first request; the job stays processing', async () => {
    const db = await getDb();
    const clock = new TestClock('2030-03-01T12:00:00Z');
    const monque = createOpsMonque(db, { clock });
    const cancelled = collect(monque, 'job:cancelled');
    const [running] = await insertJobs(db, monque, [{ status: JobStatus.PROCESSING, uniqueKey: 'k' }]);
    const id = (running as Job)._id;
    const first = await monque.cancelJob(id);
    expect(first?.status).toBe(JobStatus.PROCESSING);
    expect(first?.cancelRequestedAt).toEqual(clock.now());
    expect(first).not.toHaveProperty('cancelReason');
    const requestedAt = clock.now();
    clock.advance(5_000);
    const second = await monque.cancelJob(id, { reason: 'stop it' });
    expect(second?.cancelRequestedAt).toEqual(requestedAt);
    expect(second?.cancelReason).toBe('stop it');
    const stored = await rawJobs(db, monque).findOne({ _id: id });
    expect(stored?.activeKey).toBe('u:k');
    expect(stored?.claimToken).toBe('claim-token');
    expect(cancelled).toEqual([]);
  });

  it('returns a cancelled job unchanged, null for an unknown id, and refuses finished jobs', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const cancelled = collect(monque, 'job:cancelled');
    const docs = await insertJobs(db, monque, [
      { status: JobStatus.CANCELLED, cancelReason: 'before' },
      { status: JobStatus.COMPLETED },
      { status: JobStatus.FAILED },
    ]);
    const [done, complete, failed] = docs as [Job, Job, Job];
    const before = await snapshot(db, monque);
    expect(await monque.cancelJob(done._id, { reason: 'after' })).toEqual(await monque.getJob(done._id));
    expect((await monque.getJob(done._id))?.cancelReason).toBe('before');
    await expectStateError(monque.cancelJob(complete._id), complete._id, JobStatus.COMPLETED);
    await expectStateError(monque.cancelJob(failed._id), failed._id, JobStatus.FAILED);
    expect(await monque.cancelJob(new ObjectId())).toBeNull();
    expect(await snapshot(db, monque)).toEqual(before);
    expect(cancelled).toEqual([]);
  });

  it('concurrent cancels of one pending job: it is cancelled once, one event', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const cancelled = collect(monque, 'job:cancelled');
    const job = await monque.enqueue('x', null);
    const results = await Promise.all(Array.from({ length: 5 }, () => monque.cancelJob(job._id)));
    expect(results.map((r) => r?.status)).toEqual(Array(5).fill(JobStatus.CANCELLED));
    expect(cancelled).toHaveLength(1);
  });
});

describe('retryJob', () => {
  it('makes a failed job pending and due now, keeps failReason, clears the run fields; a worker runs it', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const retried = collect(monque, 'job:retried');
    const [failed] = (await insertJobs(db, monque, [
      {
        name: 'flaky',
        status: JobStatus.FAILED,
        failCount: 4,
        nextRunAt: new Date('2020-01-01'),
        expireAt: new Date(Date.now() + DAY),
        result: 'old',
        progress: 50,
        owner: 'gone',
        claimToken: 'old-token',
      },
    ])) as [Job];
    const before = Date.now();
    const job = await monque.retryJob(failed._id.toHexString());
    expect(job?.status).toBe(JobStatus.PENDING);
    expect(job?.failCount).toBe(0);
    expect(job?.failReason).toBe('it broke');
    expect(job?.nextRunAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(job?.lockedAt).toBeNull();
    for (const field of ['finishedAt', 'result', 'progress', 'owner', 'cancelRequestedAt', 'cancelReason']) {
      expect(job, field).not.toHaveProperty(field);
    }
    const stored = await rawJobs(db, monque).findOne({ _id: failed._id });
    expect(stored).not.toHaveProperty('expireAt');
    expect(stored).not.toHaveProperty('claimToken');
    expect(stored).not.toHaveProperty('activeKey');
    expect(retried).toEqual([{ job }]);

    monque.worker('flaky', () => {});
    await monque.start();
    await waitForStatus(db, monque, failed._id, JobStatus.COMPLETED);
    await monque.stop();
  });

  it('takes its unique key back, and refuses (nothing changed) while another active job holds it', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const first = await monque.enqueue('sync', { v: 1 }, { uniqueKey: 'user-1' });
    await monque.cancelJob(first._id);
    const second = await monque.enqueue('sync', { v: 2 }, { uniqueKey: 'user-1' });
    expect(second._id.equals(first._id)).toBe(false);
    const before = await snapshot(db, monque);
    const error = (await monque.retryJob(first._id).catch((e: unknown) => e)) as JobStateError;
    expect(error).toBeInstanceOf(JobStateError);
    expect(error.status).toBe(JobStatus.CANCELLED);
    expect(error.message).toContain(second._id.toHexString());
    expect(await snapshot(db, monque)).toEqual(before);

    await monque.deleteJob(second._id);
    const retried = await monque.retryJob(first._id);
    expect(retried?.status).toBe(JobStatus.PENDING);
    expect((await rawJobs(db, monque).findOne({ _id: first._id }))?.activeKey).toBe('u:user-1');
    const third = await monque.enqueue('sync', { v: 3 }, { uniqueKey: 'user-1' });
    expect(third._id.equals(first._id)).toBe(true);
  });

  it('a cancelled recurring job takes its schedule key back', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const schedule = await monque.schedule('0 3 * * *', 'nightly', {});
    await monque.cancelJob(schedule._id);
    expect(await rawJobs(db, monque).findOne({ _id: schedule._id })).not.toHaveProperty('activeKey');
    await monque.retryJob(schedule._id);
    expect((await rawJobs(db, monque).findOne({ _id: schedule._id }))?.activeKey).toBe('s:');
    // schedule() finds the retried job again instead of creating a second one.
    const again = await monque.schedule('0 3 * * *', 'nightly', {});
    expect(again._id.equals(schedule._id)).toBe(true);
  });

  it('refuses pending, processing and completed jobs; null for an unknown id; concurrent retries win once', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const docs = (await insertJobs(db, monque, [
      { status: JobStatus.PENDING },
      { status: JobStatus.PROCESSING },
      { status: JobStatus.COMPLETED },
      { status: JobStatus.FAILED },
    ])) as Job[];
    const before = await snapshot(db, monque);
    for (const doc of docs.slice(0, 3)) await expectStateError(monque.retryJob(doc._id), doc._id, doc.status);
    expect(await snapshot(db, monque)).toEqual(before);
    expect(await monque.retryJob(new ObjectId())).toBeNull();
    const failed = docs[3] as Job;
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => monque.retryJob(failed._id)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect((outcome.reason as JobStateError).status).toBe(JobStatus.PENDING);
    }
  });
});

describe('rescheduleJob', () => {
  it('moves a pending job; refuses other statuses and bad dates; null for an unknown id', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const job = await monque.enqueue('later', null, { runAt: new Date('2031-01-01') });
    const runAt = new Date('2031-06-01T10:00:00Z');
    const moved = await monque.rescheduleJob(job._id, runAt);
    expect(moved?.nextRunAt).toEqual(runAt);
    expect(moved?.status).toBe(JobStatus.PENDING);
    const docs = (await insertJobs(db, monque, [
      { status: JobStatus.PROCESSING },
      { status: JobStatus.COMPLETED },
      { status: JobStatus.FAILED },
      { status: JobStatus.CANCELLED },
    ])) as Job[];
    const before = await snapshot(db, monque);
    for (const doc of docs) await expectStateError(monque.rescheduleJob(doc._id, runAt), doc._id, doc.status);
    for (const bad of [new Date(Number.NaN), '2031-01-01', 0, null]) {
      const error = await monque.rescheduleJob(job._id, bad as Date).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe('runAt');
    }
    expect(await snapshot(db, monque)).toEqual(before);
    expect(await monque.rescheduleJob(new ObjectId(), runAt)).toBeNull();
  });
});

describe('deleteJob', () => {
  it('deletes any job but a processing one; false for an unknown id', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const deleted = collect(monque, 'job:deleted');
    const docs = (await insertJobs(db, monque, [
      { status: JobStatus.PENDING },
      { status: JobStatus.COMPLETED },
      { status: JobStatus.FAILED },
      { status: JobStatus.CANCELLED },
      { status: JobStatus.PROCESSING },
    ])) as Job[];
    for (const doc of docs.slice(0, 4)) expect(await monque.deleteJob(doc._id)).toBe(true);
    const running = docs[4] as Job;
    await expectStateError(monque.deleteJob(running._id), running._id, JobStatus.PROCESSING);
    expect(await monque.deleteJob(docs[0]?._id as ObjectId)).toBe(false);
    expect(await monque.deleteJob(new ObjectId())).toBe(false);
    expect((await snapshot(db, monque)).map((job) => job._id)).toEqual([running._id]);
    expect(deleted.map((event) => event.jobId.toHexString())).toEqual(
      docs.slice(0, 4).map((doc) => doc._id.toHexString()),
    );
  });
});

describe('database errors', () => {
  it('reach the caller as ConnectionError with the driver error as cause', async () => {
    const db = await getDb();
    const { client, link } = await openOwnClient();
    const monque = createOpsMonque(client.db(db.databaseName), { collectionName: freshCollectionName(db) });
    const job = await monque.enqueue('x', null); // indexes are created while the link is up
    link.pause();
    for (const call of [() => monque.getJob(job._id), () => monque.cancelJob(job._id), () => monque.getPaused()]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).cause).toBeInstanceOf(Error);
      expect((error as ConnectionError).cause).not.toBeInstanceOf(ConnectionError);
    }
    link.resume();
  });
});
