/**
 * Results and unrecoverable failures: a handler's return value is stored as `job.result` and is
 * in `job:complete`; one that MongoDB cannot store as given fails the job at once with a reason
 * naming the problem; an `UnrecoverableError` fails the job at once, and a recurring job keeps its
 * schedule.
 */
import { describe, expect, it } from 'vitest';
import { type Job, type JobFailEvent, JobStatus, MonqueErrorCode, UnrecoverableError } from '../../src/index.js';
import { createMonque, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';

const getDb = useTestDb(import.meta.url);

class Report {
  total = 3;
}

const RESULTS: readonly { label: string; value: unknown }[] = [
  { label: 'an object', value: { sent: 3, ids: ['a', 'b'], nested: { ok: true } } },
  { label: 'a number', value: 42 },
  { label: 'a string', value: 'done' },
  { label: 'null', value: null },
  { label: 'an array', value: [1, 'two', { three: 3 }] },
  { label: 'a Date', value: new Date('2030-05-06T07:08:09.000Z') },
  { label: 'false', value: false },
];

describe('results', () => {
  it.each(RESULTS)('stores $label as job.result and passes it to job:complete', async ({ value }) => {
    const db = await getDb();
    const monque = createMonque(db);
    monque.worker('compute', async () => value);
    await monque.start();
    const job = await monque.enqueue('compute', {});
    const event = await nextEvent(monque, 'job:complete', ({ job: done }) => done._id.equals(job._id));
    await monque.stop();
    expect(event.result).toEqual(value);
    expect(event.job.result).toEqual(value);
    const stored = (await jobsOf(db, monque).findOne({ _id: job._id })) as Job;
    expect(stored.status).toBe(JobStatus.COMPLETED);
    expect(stored.result).toEqual(value);
    expect(stored).toHaveProperty('result');
  });

  it('stores nothing when the handler returns undefined (or nothing)', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    monque.worker('void', () => {});
    await monque.start();
    const job = await monque.enqueue('void', {});
    const event = await nextEvent(monque, 'job:complete');
    await monque.stop();
    expect(event.result).toBeUndefined();
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).not.toHaveProperty('result');
  });

  it("a recurring job keeps its latest run's result", async () => {
    const clock = new TestClock('2030-01-01T10:00:30.000Z');
    const db = await getDb();
    const monque = createMonque(db, { clock });
    let run = 0;
    monque.worker('tick', () => {
      run += 1;
      return { run };
    });
    await monque.start();
    const job = await monque.schedule('* * * * *', 'tick', {});
    for (const minute of ['10:01', '10:02']) {
      clock.set(`2030-01-01T${minute}:00.000Z`);
      const event = await nextEvent(monque, 'job:complete');
      expect(event.result).toEqual({ run });
    }
    await monque.stop();
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.PENDING,
      result: { run: 2 },
      nextRunAt: new Date('2030-01-01T10:03:00.000Z'),
    });
  });

  const UNSTORABLE: readonly { label: string; value: () => unknown; reason: RegExp }[] = [
    {
      label: 'a function inside',
      value: () => ({ done: true, callback: () => 1 }),
      reason: /result\.callback is a function/,
    },
    { label: 'a class instance', value: () => new Report(), reason: /result is a Report/ },
    { label: 'a Map', value: () => new Map([['a', 1]]), reason: /result is a Map/ },
    { label: 'a bigint', value: () => ({ count: 10n }), reason: /result\.count is a bigint/ },
    {
      label: 'over 4 MB',
      value: () => ({ blob: 'x'.repeat(4 * 1024 * 1024 + 1) }),
      reason: /result is \d+ bytes as BSON; the limit is 4194304 bytes/,
    },
  ];

  it.each(UNSTORABLE)(
    'a result with $label fails the job at once with a clear reason, never retried',
    async ({ value, reason }) => {
      const db = await getDb();
      const monque = createMonque(db, { maxRetries: 10 });
      let runs = 0;
      monque.worker('export', () => {
        runs += 1;
        return value();
      });
      await monque.start();
      const job = await monque.enqueue('export', {}, { maxRetries: 5 });
      const event = await nextEvent(monque, 'job:fail', ({ job: failed }) => failed._id.equals(job._id));
      await monque.stop();
      expect(event.willRetry).toBe(false);
      expect(event.error).toBeInstanceOf(UnrecoverableError);
      expect(event.error.message).toMatch(reason);
      expect(event.error.message).toMatch(/^the handler's result /);
      expect(runs).toBe(1);
      const stored = (await jobsOf(db, monque).findOne({ _id: job._id })) as Job;
      expect(stored).toMatchObject({ status: JobStatus.FAILED, failCount: 1 });
      expect(stored.failReason).toMatch(reason);
      expect(stored).not.toHaveProperty('result');
    },
  );
});

describe('UnrecoverableError', () => {
  it('fails the job at once, whatever retries it has left', async () => {
    const db = await getDb();
    const monque = createMonque(db, { maxRetries: 10 });
    let runs = 0;
    const thrown = new UnrecoverableError('the customer account is closed', { cause: { account: 7 } });
    monque.worker('bill', () => {
      runs += 1;
      throw thrown;
    });
    await monque.start();
    const job = await monque.enqueue('bill', {}, { maxRetries: 8 });
    const event: JobFailEvent = await nextEvent(monque, 'job:fail');
    await monque.stop();
    expect(runs).toBe(1);
    expect(event.error).toBe(thrown);
    expect(event.error).toMatchObject({ code: MonqueErrorCode.UNRECOVERABLE, cause: { account: 7 } });
    expect(event.willRetry).toBe(false);
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.FAILED,
      failCount: 1,
      failReason: 'the customer account is closed',
    });
  });

  it('is recognised by its code when it comes from another copy of @monque/core', async () => {
    const db = await getDb();
    const monque = createMonque(db, { maxRetries: 10 });
    // What an UnrecoverableError of a second copy looks like to this one: not an instance of its class.
    const foreign = Object.assign(new Error('refused for good'), {
      name: 'UnrecoverableError',
      code: MonqueErrorCode.UNRECOVERABLE,
    });
    monque.worker('foreign', () => {
      throw foreign;
    });
    await monque.start();
    const job = await monque.enqueue('foreign', {});
    const event = await nextEvent(monque, 'job:fail');
    await monque.stop();
    expect(event.error).toBe(foreign);
    expect(event.willRetry).toBe(false);
    expect((await jobsOf(db, monque).findOne({ _id: job._id }))?.status).toBe(JobStatus.FAILED);
  });

  it('a recurring job keeps its schedule: pending at its next cron time, no retry in between', async () => {
    const clock = new TestClock('2030-01-01T10:00:30.000Z');
    const db = await getDb();
    const monque = createMonque(db, { clock, maxRetries: 10 });
    let runs = 0;
    monque.worker('hourly-sync', () => {
      runs += 1;
      throw new UnrecoverableError('the upstream API rejected our key');
    });
    await monque.start();
    const job = await monque.schedule('0 * * * *', 'hourly-sync', {});
    expect(job.nextRunAt.toISOString()).toBe('2030-01-01T11:00:00.000Z');
    clock.set(job.nextRunAt);
    const event = await nextEvent(monque, 'job:fail');
    // Nothing else runs until the next hour, however often the scheduler polls.
    clock.set('2030-01-01T11:59:59.999Z');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await monque.stop();
    expect(runs).toBe(1);
    expect(event.willRetry).toBe(true);
    expect(event.job.nextRunAt.toISOString()).toBe('2030-01-01T12:00:00.000Z');
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.PENDING,
      failCount: 0,
      failReason: 'the upstream API rejected our key',
      nextRunAt: new Date('2030-01-01T12:00:00.000Z'),
      repeatInterval: '0 * * * *',
    });
  });
});

describe('results of recurring jobs', () => {
  it("each run leaves its own result: a run that returns nothing removes the previous run's", async () => {
    const db = await getDb();
    const monque = createMonque(db);
    let run = 0;
    monque.worker('tally', () => {
      run += 1;
      return run === 1 ? { rows: 7 } : undefined;
    });
    const job = await monque.schedule('* * * * *', 'tally', {});
    const due = () =>
      jobsOf(db, monque).updateOne({ _id: job._id }, { $set: { nextRunAt: new Date(Date.now() - 1000) } });
    await due();
    await monque.start();
    await nextEvent(monque, 'job:complete');
    expect((await jobsOf(db, monque).findOne({ _id: job._id }))?.result).toEqual({ rows: 7 });
    await due();
    const { job: second } = await nextEvent(monque, 'job:complete');
    await monque.stop();
    expect(second.result).toBeUndefined();
    expect((await jobsOf(db, monque).findOne({ _id: job._id }))?.result).toBeUndefined();
  });
});
