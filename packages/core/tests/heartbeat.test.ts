/**
 * The heartbeat: a healthy job that runs much longer than `lockTimeout` keeps its lock and is
 * never recovered, even with other instances checking for stale jobs the whole time; and a run
 * that did lose its job cannot overwrite the result of the new owner.
 */
import { waitUntil } from '@monque/test-backend';
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { type Job, JobLockLostError, JobStatus, MonqueErrorCode } from '../src/index.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb, waitForStatus } from './helpers/monque.js';

const getDb = useTestDb(import.meta.url);

describe('heartbeat', () => {
  it('a job running 3× lockTimeout, watched by a second recovering instance, runs exactly once and completes', async () => {
    const db = await getDb();
    const lockTimeout = 300;
    const options = { lockTimeout, heartbeatInterval: 50, staleCheckInterval: 25, pollInterval: 20 };
    const owner = createMonque(db, { ...options, instanceId: 'owner' });
    const watcher = createMonque(db, {
      ...options,
      collectionName: owner.options.collectionName,
      instanceId: 'watcher',
    });
    const runs: { instance: string; job: Job }[] = [];
    const lockSamples: number[] = [];
    const recoveries: Job[] = [];
    const errors: Error[] = [];
    for (const monque of [owner, watcher]) {
      monque.on('job:recovered', ({ job }) => recoveries.push(job));
      monque.on('job:error', ({ error }) => errors.push(error));
    }
    owner.worker('long-report', async (job) => {
      runs.push({ instance: 'owner', job });
      await new Promise((resolve) => setTimeout(resolve, 3 * lockTimeout));
    });
    watcher.worker('long-report', (job) => {
      runs.push({ instance: 'watcher', job });
    });

    const job = await owner.enqueue('long-report', {});
    const completed = nextEvent(owner, 'job:complete', ({ job: done }) => done._id.equals(job._id));
    await owner.start();
    await nextEvent(owner, 'job:start');
    await watcher.start();
    const sampling = (async () => {
      for (;;) {
        const doc = await jobsOf(db, owner).findOne({ _id: job._id });
        if (doc?.status !== JobStatus.PROCESSING) return;
        lockSamples.push(doc.lockedAt?.getTime() ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();
    const { duration } = await completed;
    await sampling;

    expect(duration).toBeGreaterThanOrEqual(3 * lockTimeout - 5);
    expect(runs.map((run) => run.instance)).toEqual(['owner']);
    expect(recoveries).toEqual([]);
    expect(errors).toEqual([]);
    const stored = (await jobsOf(db, owner).findOne({ _id: job._id })) as Job;
    expect(stored).toMatchObject({ status: JobStatus.COMPLETED, failCount: 0 });
    expect(stored.failReason).toBeUndefined();
    // The lock was renewed while the job ran (several distinct lockedAt values).
    expect(new Set(lockSamples).size).toBeGreaterThanOrEqual(3);
    await Promise.all([owner.stop(), watcher.stop()]);
  });

  it('a run that lost its job (recovered, now held by another claim) cannot write its result: job:error JobLockLostError', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const release = deferred();
    monque.worker('slow', () => release.promise);
    await monque.start();
    const job = await monque.enqueue('slow', {});
    await nextEvent(monque, 'job:start');
    // Meanwhile the job was taken for stale and claimed by another instance.
    const otherToken = new ObjectId();
    await jobsOf(db, monque).updateOne(
      { _id: job._id },
      { $set: { owner: 'other-instance', claimToken: otherToken, lockedAt: new Date() } },
    );
    const lost = nextEvent(monque, 'job:error');
    const completions: Job[] = [];
    monque.on('job:complete', ({ job: done }) => completions.push(done));
    release.resolve();
    const { error, job: reported } = await lost;
    expect(error).toBeInstanceOf(JobLockLostError);
    expect((error as JobLockLostError).code).toBe(MonqueErrorCode.JOB_LOCK_LOST);
    expect(reported?._id).toEqual(job._id);
    expect(completions).toEqual([]);
    const stored = await waitForStatus(db, monque, job._id, JobStatus.PROCESSING);
    expect(stored.owner).toBe('other-instance');
    await monque.stop();
  });

  it('the heartbeat renews only the locks this instance holds', async () => {
    const db = await getDb();
    const monque = createMonque(db, { lockTimeout: 1_000, heartbeatInterval: 20, instanceId: 'me' });
    const release = deferred();
    monque.worker('mine', () => release.promise);
    await monque.start();
    const job = await monque.enqueue('mine', {});
    const claimed = await waitForStatus(db, monque, job._id, JobStatus.PROCESSING);
    const firstLock = claimed.lockedAt?.getTime() ?? 0;
    await waitUntil(
      async () => ((await jobsOf(db, monque).findOne({ _id: job._id }))?.lockedAt?.getTime() ?? 0) > firstLock,
      'the heartbeat to renew the lock',
    );
    // Another instance's job is never renewed by this one.
    const foreignLock = new Date(Date.now() - 100);
    const foreign = await jobsOf(db, monque).insertOne({
      _id: new ObjectId(),
      name: 'mine',
      data: {},
      status: JobStatus.PROCESSING,
      nextRunAt: foreignLock,
      lockedAt: foreignLock,
      failCount: 0,
      owner: 'someone-else',
      createdAt: foreignLock,
      updatedAt: foreignLock,
    });
    const renewedAfter = (await jobsOf(db, monque).findOne({ _id: job._id }))?.lockedAt?.getTime() ?? 0;
    await waitUntil(
      async () => ((await jobsOf(db, monque).findOne({ _id: job._id }))?.lockedAt?.getTime() ?? 0) > renewedAfter,
      'another renewal',
    );
    expect((await jobsOf(db, monque).findOne({ _id: foreign.insertedId }))?.lockedAt).toEqual(foreignLock);
    release.resolve();
    await waitForStatus(db, monque, job._id, JobStatus.COMPLETED);
    await monque.stop();
  });
});
