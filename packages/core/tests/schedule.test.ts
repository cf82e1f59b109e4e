/**
 * `schedule()`: recurring jobs — next cron time, validation before any write, one job per
 * name (+ uniqueKey) under any concurrency, rescheduling after success and failure, time zones.
 */
import { describe, expect, it } from 'vitest';
import { InvalidCronError, type Job, JobStatus, MonqueErrorCode, nextCronTime } from '../src/index.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb } from './helpers/monque.js';
import { TestClock } from './helpers/test-clock.js';

const getDb = useTestDb(import.meta.url);

describe('schedule()', () => {
  it('creates a pending recurring job due at the next cron time', async () => {
    const db = await getDb();
    const clock = new TestClock('2026-01-15T10:07:30.000Z');
    const monque = createMonque(db, { clock });
    const job = await monque.schedule('*/15 * * * *', 'digest', { list: 'weekly' });
    expect(job.nextRunAt).toEqual(new Date('2026-01-15T10:15:00.000Z'));
    expect(job.status).toBe(JobStatus.PENDING);
    expect(job.repeatInterval).toBe('*/15 * * * *');
    expect(job.failCount).toBe(0);
    expect(job.data).toEqual({ list: 'weekly' });
    const stored = await jobsOf(db, monque).findOne({ _id: job._id });
    expect(stored?.nextRunAt).toEqual(new Date('2026-01-15T10:15:00.000Z'));
    expect(stored?.repeatInterval).toBe('*/15 * * * *');
  });

  it.each([
    ['61 * * * *', /minute/],
    ['* 24 * * *', /hour/],
    ['* * 0 * *', /day-of-month/],
    ['* * * 13 *', /month/],
    ['* * * * FUNDAY', /day-of-week/],
    ['* * * *', /4 fields/],
    ['every day', /2 fields/],
  ])(
    'rejects %j with InvalidCronError naming the field and showing an example, writing nothing',
    async (cron, field) => {
      const db = await getDb();
      const monque = createMonque(db);
      const error = await monque.schedule(cron, 'bad-cron', {}).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(InvalidCronError);
      const cronError = error as InvalidCronError;
      expect(cronError.code).toBe(MonqueErrorCode.INVALID_CRON);
      expect(cronError.expression).toBe(cron);
      expect(cronError.message).toMatch(field);
      expect(cronError.message).toMatch(/example: '[^']+'/);
      expect(await jobsOf(db, monque).countDocuments({})).toBe(0);
    },
  );

  it('rescheduling the same name updates the one recurring job (data, cron) instead of adding one', async () => {
    const db = await getDb();
    const clock = new TestClock('2026-01-15T10:07:30.000Z');
    const monque = createMonque(db, { clock });
    const first = await monque.schedule('0 * * * *', 'cleanup', { days: 7 });
    expect(first.nextRunAt).toEqual(new Date('2026-01-15T11:00:00.000Z'));

    const sameCron = await monque.schedule('0 * * * *', 'cleanup', { days: 30 });
    expect(sameCron._id).toEqual(first._id);
    expect(sameCron.data).toEqual({ days: 30 });
    expect(sameCron.nextRunAt).toEqual(first.nextRunAt);

    const newCron = await monque.schedule('*/10 * * * *', 'cleanup', { days: 30 });
    expect(newCron._id).toEqual(first._id);
    expect(newCron.repeatInterval).toBe('*/10 * * * *');
    expect(newCron.nextRunAt).toEqual(new Date('2026-01-15T10:10:00.000Z'));

    const stored = await jobsOf(db, monque).find({ name: 'cleanup' }).toArray();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.data).toEqual({ days: 30 });
    expect(stored[0]?.repeatInterval).toBe('*/10 * * * *');
  });

  it('20 concurrent schedule() calls from 3 instances leave exactly one recurring job', async () => {
    const db = await getDb();
    const first = createMonque(db);
    const { collectionName } = first.options;
    const instances = [first, createMonque(db, { collectionName }), createMonque(db, { collectionName })];
    const jobs = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        (instances[n % 3] as (typeof instances)[number]).schedule('*/5 * * * *', 'sync', { call: n }),
      ),
    );
    expect(new Set(jobs.map((job) => job._id.toHexString())).size).toBe(1);
    expect(await jobsOf(db, first).countDocuments({ name: 'sync' })).toBe(1);
  });

  it('a different uniqueKey makes a second schedule of the same name; the same key updates it', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const eu = await monque.schedule('0 6 * * *', 'report', { region: 'eu' }, { uniqueKey: 'eu' });
    const us = await monque.schedule('0 14 * * *', 'report', { region: 'us' }, { uniqueKey: 'us' });
    const plain = await monque.schedule('0 8 * * *', 'report', { region: 'all' });
    expect(new Set([eu, us, plain].map((job) => job._id.toHexString())).size).toBe(3);
    const euAgain = await monque.schedule('0 7 * * *', 'report', { region: 'eu', v: 2 }, { uniqueKey: 'eu' });
    expect(euAgain._id).toEqual(eu._id);
    expect(euAgain.uniqueKey).toBe('eu');
    expect(await jobsOf(db, monque).countDocuments({ name: 'report' })).toBe(3);
    expect((await jobsOf(db, monque).findOne({ _id: us._id }))?.repeatInterval).toBe('0 14 * * *');
  });

  it('a recurring job due now (nextRunAt set in the database) runs and returns to pending', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const job = await monque.schedule('0 0 1 1 *', 'yearly', { n: 1 });
    const completed = nextEvent(monque, 'job:complete');
    monque.worker('yearly', () => {});
    await monque.start();
    await jobsOf(db, monque).updateOne({ _id: job._id }, { $set: { nextRunAt: new Date() } });
    const { job: done } = await completed;
    expect(done._id).toEqual(job._id);
    const stored = (await jobsOf(db, monque).findOne({ _id: job._id })) as Job;
    expect(stored.status).toBe(JobStatus.PENDING);
    expect(stored.nextRunAt).toEqual(nextCronTime('0 0 1 1 *', new Date()));
    expect(stored.lockedAt).toBeNull();
    await monque.stop();
  });

  it('after a successful run the job is pending at the next cron time after the one it was scheduled for, failCount 0', async () => {
    const db = await getDb();
    const clock = new TestClock('2026-05-04T09:00:10.000Z');
    const monque = createMonque(db, { clock });
    const job = await monque.schedule('*/10 * * * *', 'tick', {});
    const scheduledFor = new Date('2026-05-04T09:10:00.000Z');
    expect(job.nextRunAt).toEqual(scheduledFor);
    await jobsOf(db, monque).updateOne({ _id: job._id }, { $set: { failCount: 3, failReason: 'earlier trouble' } });

    const seen: Job[] = [];
    monque.worker('tick', (running) => {
      seen.push(running);
      // The run starts late and ends 9 minutes after the time it was scheduled for.
      clock.set('2026-05-04T09:19:00.000Z');
    });
    await monque.start();
    const completed = nextEvent(monque, 'job:complete');
    clock.set('2026-05-04T09:14:00.000Z');
    const { job: done } = await completed;
    expect(seen).toHaveLength(1);
    expect(done.nextRunAt).toEqual(new Date('2026-05-04T09:20:00.000Z'));
    const stored = (await jobsOf(db, monque).findOne({ _id: job._id })) as Job;
    expect(stored.status).toBe(JobStatus.PENDING);
    expect(stored.nextRunAt).toEqual(new Date('2026-05-04T09:20:00.000Z'));
    expect(stored.failCount).toBe(0);
    expect(stored.failReason).toBeUndefined();
    await monque.stop();
  });

  // The run's outcome must follow the cron stored when it ends, not the one it was claimed with.
  it('rescheduling while a run is in progress: the next occurrence follows the new cron', async () => {
    const db = await getDb();
    const clock = new TestClock('2026-05-04T09:00:10.000Z');
    const monque = createMonque(db, { clock });
    const job = await monque.schedule('0 * * * *', 'hourly-sync', { v: 1 });
    const release = deferred();
    monque.worker('hourly-sync', () => release.promise);
    await monque.start();
    const started = nextEvent(monque, 'job:start');
    clock.set('2026-05-04T10:00:01.000Z');
    await started;
    // A deploy changes the schedule while this occurrence runs.
    await monque.schedule('*/10 * * * *', 'hourly-sync', { v: 2 });
    const completed = nextEvent(monque, 'job:complete');
    release.resolve();
    await completed;
    await monque.stop();
    const stored = (await jobsOf(db, monque).findOne({ _id: job._id })) as Job;
    expect(stored).toMatchObject({ status: JobStatus.PENDING, repeatInterval: '*/10 * * * *', data: { v: 2 } });
    expect(stored.nextRunAt).toEqual(new Date('2026-05-04T10:10:00.000Z'));
  });

  it('occurrences missed while nothing ran are skipped, not replayed', async () => {
    const db = await getDb();
    const clock = new TestClock('2026-05-04T09:00:10.000Z');
    const monque = createMonque(db, { clock });
    await monque.schedule('*/10 * * * *', 'tick', {});
    let runs = 0;
    monque.worker('tick', () => {
      runs += 1;
    });
    const completed = nextEvent(monque, 'job:complete');
    // The scheduler was down from 09:10 to 09:47.
    clock.set('2026-05-04T09:47:00.000Z');
    await monque.start();
    const { job: done } = await completed;
    expect(runs).toBe(1);
    expect(done.nextRunAt).toEqual(new Date('2026-05-04T09:50:00.000Z'));
    await monque.stop();
  });

  it('a failing recurring job retries with backoff, then goes back to its schedule with failReason kept', async () => {
    const db = await getDb();
    const clock = new TestClock('2026-05-04T09:00:10.000Z');
    const monque = createMonque(db, { clock, maxRetries: 3, baseRetryInterval: 1000 });
    const job = await monque.schedule('0 * * * *', 'flaky-import', {});
    expect(job.nextRunAt).toEqual(new Date('2026-05-04T10:00:00.000Z'));
    let attempt = 0;
    monque.worker('flaky-import', () => {
      attempt += 1;
      throw new Error(`upstream down (attempt ${attempt})`);
    });
    await monque.start();
    const jobs = jobsOf(db, monque);

    let failed = nextEvent(monque, 'job:fail');
    clock.set('2026-05-04T10:00:00.500Z');
    let event = await failed;
    expect(event.willRetry).toBe(true);
    expect(event.error.message).toBe('upstream down (attempt 1)');
    let stored = (await jobs.findOne({ _id: job._id })) as Job;
    expect(stored).toMatchObject({ status: JobStatus.PENDING, failCount: 1, failReason: 'upstream down (attempt 1)' });
    // failedAt + 2^1 × 1000 ms
    expect(stored.nextRunAt).toEqual(new Date('2026-05-04T10:00:02.500Z'));

    failed = nextEvent(monque, 'job:fail');
    clock.set('2026-05-04T10:00:02.500Z');
    event = await failed;
    stored = (await jobs.findOne({ _id: job._id })) as Job;
    expect(stored).toMatchObject({ status: JobStatus.PENDING, failCount: 2 });
    // failedAt + 2^2 × 1000 ms
    expect(stored.nextRunAt).toEqual(new Date('2026-05-04T10:00:06.500Z'));

    failed = nextEvent(monque, 'job:fail');
    clock.set('2026-05-04T10:00:06.500Z');
    event = await failed;
    // maxRetries reached: this occurrence failed for good, the schedule goes on.
    expect(event.willRetry).toBe(true);
    expect(event.job.failCount).toBe(0);
    stored = (await jobs.findOne({ _id: job._id })) as Job;
    expect(stored).toMatchObject({
      status: JobStatus.PENDING,
      failCount: 0,
      failReason: 'upstream down (attempt 3)',
      repeatInterval: '0 * * * *',
    });
    expect(stored.nextRunAt).toEqual(new Date('2026-05-04T11:00:00.000Z'));
    expect(attempt).toBe(3);
    await monque.stop();
  });
});

describe('schedule() across daylight-saving changes', () => {
  it('Europe/Berlin spring forward: 02:30 does not exist on 2026-03-29; the job runs once, when the gap ends', () => {
    const runs: string[] = [];
    let after = new Date('2026-03-27T12:00:00.000Z');
    for (let n = 0; n < 4; n += 1) {
      after = nextCronTime('30 2 * * *', after, 'Europe/Berlin');
      runs.push(after.toISOString());
    }
    expect(runs).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET (UTC+1)
      '2026-03-29T01:00:00.000Z', // 03:00 CEST: the first local time after the skipped 02:00-03:00
      '2026-03-30T00:30:00.000Z', // 02:30 CEST (UTC+2)
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('America/New_York fall back: 01:30 happens twice on 2026-11-01; the job runs once', () => {
    const runs: string[] = [];
    let after = new Date('2026-10-30T12:00:00.000Z');
    for (let n = 0; n < 4; n += 1) {
      after = nextCronTime('30 1 * * *', after, 'America/New_York');
      runs.push(after.toISOString());
    }
    expect(runs).toEqual([
      '2026-10-31T05:30:00.000Z', // 01:30 EDT (UTC-4)
      '2026-11-01T05:30:00.000Z', // the first 01:30 (EDT); the repeated 01:30 EST is not a second run
      '2026-11-02T06:30:00.000Z', // 01:30 EST (UTC-5)
      '2026-11-03T06:30:00.000Z',
    ]);
  });

  it('a scheduled job in Europe/Berlin runs across the spring change at the right instants (injected clock)', async () => {
    const db = await getDb();
    const clock = new TestClock('2026-03-27T12:00:00.000Z');
    const monque = createMonque(db, { clock });
    const job = await monque.schedule('30 2 * * *', 'berlin-backup', {}, { timezone: 'Europe/Berlin' });
    expect(job.timezone).toBe('Europe/Berlin');
    expect(job.nextRunAt).toEqual(new Date('2026-03-28T01:30:00.000Z'));
    const ranAt: string[] = [];
    monque.worker('berlin-backup', () => {
      ranAt.push(clock.now().toISOString());
    });
    await monque.start();

    const expected = [
      ['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z'],
      ['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'],
      ['2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z'],
    ] as const;
    for (const [due, next] of expected) {
      const completed = nextEvent(monque, 'job:complete');
      clock.set(due);
      const { job: done } = await completed;
      expect(done.nextRunAt.toISOString()).toBe(next);
      expect((await jobsOf(db, monque).findOne({ _id: job._id }))?.nextRunAt.toISOString()).toBe(next);
    }
    expect(ranAt).toEqual(expected.map(([due]) => due));
    await monque.stop();
  });

  it('a scheduled job in America/New_York runs once on the fall-back night (injected clock)', async () => {
    const db = await getDb();
    const clock = new TestClock('2026-10-31T12:00:00.000Z');
    const monque = createMonque(db, { clock });
    const job = await monque.schedule('30 1 * * *', 'ny-backup', {}, { timezone: 'America/New_York' });
    expect(job.nextRunAt).toEqual(new Date('2026-11-01T05:30:00.000Z'));
    let runs = 0;
    monque.worker('ny-backup', () => {
      runs += 1;
    });
    await monque.start();
    const completed = nextEvent(monque, 'job:complete');
    clock.set('2026-11-01T05:30:00.000Z');
    const { job: done } = await completed;
    expect(done.nextRunAt).toEqual(new Date('2026-11-02T06:30:00.000Z'));
    // An hour later the wall clock shows 01:30 again (EST): nothing is due.
    clock.set('2026-11-01T06:30:00.000Z');
    const tick = await monque.enqueue('ny-backup-probe', {});
    const probe = nextEvent(monque, 'job:complete', ({ job: probeJob }) => probeJob._id.equals(tick._id));
    monque.worker('ny-backup-probe', () => {});
    await probe;
    expect(runs).toBe(1);
    await monque.stop();
  });
});
