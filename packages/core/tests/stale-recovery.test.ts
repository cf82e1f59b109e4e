/**
 * Stale recovery: a `processing` job whose lock is older than `lockTimeout` goes back to
 * `pending` on start() and periodically while running; a recovery counts as an attempt.
 */
import { waitUntil } from '@monque/test-backend';
import { type Db, ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { type Job, JobStatus, type Monque } from '../src/index.js';
import { type CommandLog, openCommandLog } from './helpers/command-log.js';
import { createMonque, jobsOf, nextEvent, useTestDb, waitForStatus } from './helpers/monque.js';
import { TestClock } from './helpers/test-clock.js';

const getDb = useTestDb(import.meta.url);

/** Resolves once `count` more stale-recovery passes (reads of the running jobs) of `monque` were sent. */
async function lockReads(log: CommandLog, monque: Monque, count: number): Promise<void> {
  const collection = monque.options.collectionName;
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

/**
 * Inserts a job as a crashed instance leaves it: `processing`, owned by `dead-instance`, its
 * lock last renewed `lockAgeMs` ago.
 */
async function insertOrphanedJob(
  db: Db,
  monque: Monque,
  {
    name = 'orphan',
    lockAgeMs,
    failCount = 0,
    repeatInterval,
    now = Date.now(),
  }: {
    name?: string;
    lockAgeMs: number;
    failCount?: number;
    repeatInterval?: string;
    /** The time the lock's age is counted from (epoch ms). @defaultValue `Date.now()` */
    now?: number;
  },
): Promise<Job> {
  const job: Job & { claimToken: ObjectId } = {
    _id: new ObjectId(),
    name,
    data: { orphaned: true },
    status: JobStatus.PROCESSING,
    nextRunAt: new Date(now - lockAgeMs - 1_000),
    lockedAt: new Date(now - lockAgeMs),
    startedAt: new Date(now - lockAgeMs),
    failCount,
    owner: 'dead-instance',
    claimToken: new ObjectId(),
    createdAt: new Date(now - lockAgeMs - 1_000),
    updatedAt: new Date(now - lockAgeMs),
    ...(repeatInterval === undefined ? {} : { repeatInterval, timezone: 'UTC' }),
  };
  await jobsOf(db, monque).insertOne(job);
  return job;
}

// Every recovery charged here (maxStalls 0); stalls are tested in faults/stalls.test.ts.
describe('stale recovery', () => {
  it('on start() a job whose lock is older than lockTimeout goes back to pending, counts as an attempt, and runs', async () => {
    const db = await getDb();
    const monque = createMonque(db, { lockTimeout: 60_000, maxStalls: 0 });
    const orphan = await insertOrphanedJob(db, monque, { lockAgeMs: 10 * 60_000 });
    const fresh = await insertOrphanedJob(db, monque, { name: 'still-held', lockAgeMs: 1_000 });
    const handled: Job[] = [];
    monque.worker('orphan', (job) => {
      handled.push(job);
    });
    const recovered = nextEvent(monque, 'job:recovered');
    const completed = nextEvent(monque, 'job:complete');
    await monque.start();

    const { job: seen, willRetry } = await recovered;
    expect(seen._id).toEqual(orphan._id);
    expect(seen.owner).toBe('dead-instance');
    expect(willRetry).toBe(true);
    await completed;
    expect(handled).toHaveLength(1);
    expect(handled[0]).toMatchObject({ failCount: 1, status: JobStatus.PROCESSING });
    expect(handled[0]?.failReason).toMatch(/lock expired/);
    expect(handled[0]?.failReason).toContain('dead-instance');
    const stored = (await jobsOf(db, monque).findOne({ _id: orphan._id })) as Job;
    expect(stored.status).toBe(JobStatus.COMPLETED);
    expect(stored.owner).toBeUndefined();

    // A lock younger than lockTimeout is left alone.
    const held = (await jobsOf(db, monque).findOne({ _id: fresh._id })) as Job;
    expect(held).toMatchObject({ status: JobStatus.PROCESSING, owner: 'dead-instance', failCount: 0 });
    expect(held.lockedAt).toEqual(fresh.lockedAt);
    await monque.stop();
  });

  it('the recovered job is pending and due at once, with failCount + 1', async () => {
    const db = await getDb();
    const monque = createMonque(db, { lockTimeout: 60_000, maxStalls: 0 });
    const orphan = await insertOrphanedJob(db, monque, { lockAgeMs: 120_000, failCount: 2 });
    // No worker for 'orphan' here: the job is recovered but not claimed.
    const before = Date.now();
    await monque.start();
    const stored = (await jobsOf(db, monque).findOne({ _id: orphan._id })) as Job;
    expect(stored).toMatchObject({ status: JobStatus.PENDING, failCount: 3, lockedAt: null });
    expect(stored.failReason).toMatch(/lock expired/);
    expect(stored.owner).toBeUndefined();
    expect(stored.nextRunAt.getTime()).toBeGreaterThanOrEqual(before - 5);
    expect(stored.nextRunAt.getTime()).toBeLessThanOrEqual(Date.now());
    await monque.stop();
  });

  it('recoverStaleJobs: false leaves stale jobs alone', async () => {
    const db = await getDb();
    const monque = createMonque(db, { lockTimeout: 1_000, recoverStaleJobs: false, staleCheckInterval: 20 });
    const orphan = await insertOrphanedJob(db, monque, { lockAgeMs: 60_000 });
    let orphanRuns = 0;
    monque.worker('orphan', () => {
      orphanRuns += 1;
    });
    monque.worker('marker', () => {});
    const recoveries: Job[] = [];
    monque.on('job:recovered', ({ job }) => recoveries.push(job));
    await monque.start();
    // Let the scheduler work for a while (several polls, several stale-check intervals).
    for (let n = 0; n < 3; n += 1) {
      const marker = await monque.enqueue('marker', { n });
      await waitForStatus(db, monque, marker._id, JobStatus.COMPLETED);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stored = (await jobsOf(db, monque).findOne({ _id: orphan._id })) as Job;
    expect(stored).toMatchObject({ status: JobStatus.PROCESSING, owner: 'dead-instance', failCount: 0 });
    expect(stored.lockedAt).toEqual(orphan.lockedAt);
    expect(recoveries).toEqual([]);
    expect(orphanRuns).toBe(0);
    await monque.stop();
  });

  it('a recovery that uses up the last attempt leaves the job failed (willRetry false)', async () => {
    const db = await getDb();
    const monque = createMonque(db, { lockTimeout: 60_000, maxRetries: 3, maxStalls: 0 });
    const orphan = await insertOrphanedJob(db, monque, { lockAgeMs: 120_000, failCount: 2 });
    let runs = 0;
    monque.worker('orphan', () => {
      runs += 1;
    });
    const recovered = nextEvent(monque, 'job:recovered');
    await monque.start();
    const { willRetry } = await recovered;
    expect(willRetry).toBe(false);
    const stored = (await jobsOf(db, monque).findOne({ _id: orphan._id })) as Job;
    expect(stored).toMatchObject({ status: JobStatus.FAILED, failCount: 3 });
    expect(stored.failReason).toMatch(/lock expired/);
    expect(runs).toBe(0);
    await monque.stop();
  });

  it('a recurring job whose recovery uses up the last attempt keeps its schedule', async () => {
    const db = await getDb();
    const monque = createMonque(db, { lockTimeout: 60_000, maxRetries: 1, maxStalls: 0 });
    const orphan = await insertOrphanedJob(db, monque, { lockAgeMs: 120_000, repeatInterval: '0 0 1 1 *' });
    await monque.start();
    const stored = (await jobsOf(db, monque).findOne({ _id: orphan._id })) as Job;
    expect(stored).toMatchObject({ status: JobStatus.PENDING, failCount: 0, repeatInterval: '0 0 1 1 *' });
    expect(stored.failReason).toMatch(/lock expired/);
    expect(stored.nextRunAt.getUTCMonth()).toBe(0);
    expect(stored.nextRunAt.getUTCDate()).toBe(1);
    expect(stored.nextRunAt.getTime()).toBeGreaterThan(Date.now());
    await monque.stop();
  });

  it('recovers periodically while running, not only at start()', async () => {
    const db = await getDb();
    const monque = createMonque(db, { lockTimeout: 500, staleCheckInterval: 50, maxStalls: 0 });
    const ran: Job[] = [];
    monque.worker('orphan', (job) => {
      ran.push(job);
    });
    await monque.start();
    const startedAt = Date.now();
    const recovered = nextEvent(monque, 'job:recovered');
    const completed = nextEvent(monque, 'job:complete');
    // Orphaned after start() returned: only the periodic check can find it.
    const orphan = await insertOrphanedJob(db, monque, { lockAgeMs: 5_000 });
    const { job } = await recovered;
    expect(job._id).toEqual(orphan._id);
    await completed;
    expect(ran).toHaveLength(1);
    expect(ran[0]?.failCount).toBe(1);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    await monque.stop();
  });

  it('a lock that goes stale while the instance runs (owner stopped renewing) is recovered after lockTimeout, not before', async () => {
    const db = await getDb();
    // The lock's age is what the injected clock says; the passes are counted on the wire, so
    // "not recovered yet" means "not recovered although recovery looked again".
    const clock = new TestClock('2030-01-01T00:00:00Z');
    const lockTimeout = 30_000;
    const log = await openCommandLog(db.databaseName);
    try {
      const monque = createMonque(log.db, { clock, lockTimeout, staleCheckInterval: 20 });
      monque.worker('orphan', () => {});
      await monque.start();
      const recoveries: Job[] = [];
      monque.on('job:recovered', ({ job }) => recoveries.push(job));
      // Locked just now by an instance that then stopped renewing.
      const orphan = await insertOrphanedJob(db, monque, { lockAgeMs: 0, now: clock.now().getTime() });
      await lockReads(log, monque, 2);
      clock.advance(lockTimeout - 1);
      await lockReads(log, monque, 2);
      expect(recoveries).toEqual([]);
      expect((await jobsOf(db, monque).findOne({ _id: orphan._id }))?.status).toBe(JobStatus.PROCESSING);
      clock.advance(1);
      await waitForStatus(db, monque, orphan._id, JobStatus.COMPLETED, 5_000);
      expect(recoveries.map((job) => job._id)).toEqual([orphan._id]);
      await monque.stop();
    } finally {
      await log.close();
    }
  });
});
