/**
 * The heartbeat: a healthy job that runs much longer than `lockTimeout` keeps its lock and is
 * never recovered, even with other instances checking for stale jobs the whole time; and a run
 * that did lose its job cannot overwrite the result of the new owner.
 */
import { waitUntil } from '@monque/test-backend';
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { type Job, JobLockLostError, JobStatus, MonqueErrorCode } from '../src/index.js';
import { type CommandLog, openCommandLog } from './helpers/command-log.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb, waitForStatus } from './helpers/monque.js';
import { TestClock } from './helpers/test-clock.js';

const getDb = useTestDb(import.meta.url);

/** Resolves once `count` more reads of `collection`'s running jobs (stale-recovery passes) were sent. */
async function lockReadsBy(log: CommandLog, collection: string, count: number): Promise<void> {
  const reads = () =>
    log.commands.filter(
      (event) =>
        event.commandName === 'find' &&
        event.command.find === collection &&
        (event.command.filter as { status?: unknown } | undefined)?.status === JobStatus.PROCESSING,
    ).length;
  const target = reads() + count;
  await waitUntil(() => reads() >= target, `${count} more stale-recovery passes`);
}

describe('heartbeat', () => {
  it('a job running 3× lockTimeout, watched by a second recovering instance, runs exactly once and completes', async () => {
    const db = await getDb();
    // Time is the test's: the lock's age is what the injected clock says, never how busy the
    // machine is. Both instances share the clock, as instances with synchronised clocks would.
    const clock = new TestClock('2030-01-01T00:00:00Z');
    const lockTimeout = 30_000;
    const options = { clock, lockTimeout, heartbeatInterval: 20, staleCheckInterval: 20, pollInterval: 20 };
    const owner = createMonque(db, { ...options, instanceId: 'owner' });
    // The watcher's commands are counted, to know it looked at the lock after each step.
    const log = await openCommandLog(db.databaseName);
    try {
      const watcher = createMonque(log.db, {
        ...options,
        collectionName: owner.options.collectionName,
        instanceId: 'watcher',
      });
      const runs: { instance: string; job: Job }[] = [];
      const recoveries: Job[] = [];
      const errors: Error[] = [];
      for (const monque of [owner, watcher]) {
        monque.on('job:recovered', ({ job }) => recoveries.push(job));
        monque.on('job:error', ({ error }) => errors.push(error));
      }
      const finish = deferred();
      owner.worker('long-report', async (job) => {
        runs.push({ instance: 'owner', job });
        await finish.promise;
      });
      watcher.worker('long-report', (job) => {
        runs.push({ instance: 'watcher', job });
      });

      const job = await owner.enqueue('long-report', {});
      const completed = nextEvent(owner, 'job:complete', ({ job: done }) => done._id.equals(job._id));
      await owner.start();
      await nextEvent(owner, 'job:start');
      await watcher.start();
      const locksSeen = new Set<number>();
      // Six steps of lockTimeout / 2: after each, the owner's heartbeat renews the lock at the new
      // time, and the watcher looks at it (so it saw every lock, each younger than lockTimeout).
      for (let step = 1; step <= 6; step += 1) {
        clock.advance(lockTimeout / 2);
        const now = clock.now().getTime();
        await waitUntil(
          async () => (await jobsOf(db, owner).findOne({ _id: job._id }))?.lockedAt?.getTime() === now,
          `the heartbeat to renew the lock at step ${step}`,
        );
        locksSeen.add(now);
        await lockReadsBy(log, owner.options.collectionName, 2);
      }
      finish.resolve();
      const { duration } = await completed;

      expect(duration).toBe(3 * lockTimeout);
      expect(runs.map((run) => run.instance)).toEqual(['owner']);
      expect(recoveries).toEqual([]);
      expect(errors).toEqual([]);
      const stored = (await jobsOf(db, owner).findOne({ _id: job._id })) as Job;
      expect(stored).toMatchObject({ status: JobStatus.COMPLETED, failCount: 0 });
      expect(stored.failReason).toBeUndefined();
      expect(locksSeen.size).toBe(6);
      await Promise.all([owner.stop(), watcher.stop()]);
    } finally {
      await log.close();
    }
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

  // What this shows: a job this instance does not run is never written by its heartbeat. (That a
  // job it does run, but now recorded for another owner, is not renewed either is shown in
  // guards/run-fences.test.ts and store/lock-store.test.ts.)
  it('the heartbeat renews the lock of its running job and never touches a job it does not run', async () => {
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
