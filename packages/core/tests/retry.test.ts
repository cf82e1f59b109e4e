import { waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import {
  type DecisionSettings,
  decideFailure,
  decideSuccess,
  failReasonOf,
  MAX_FAIL_REASON_CHARS,
  policyFor,
  toError,
} from '../src/engine/outcome.js';
import { type Job, type JobFailEvent, JobStatus } from '../src/index.js';
import { MAX_BACKOFF_DELAY_MS } from '../src/retry/backoff.js';
import { processingJob } from './helpers/job-fixture.js';
import { createMonque, jobsOf, nextEvent, useTestDb, waitForStatus } from './helpers/monque.js';
import { TestClock } from './helpers/test-clock.js';

const getDb = useTestDb(import.meta.url);

class QuietError extends Error {
  override name = 'QuietError';
}

const circular: Record<string, unknown> = { label: 'loop' };
circular.self = circular;

/** What a handler throws (or rejects with), and what `failReason` must say. */
const THROWN: readonly { label: string; value: unknown; reason: string | RegExp; reject?: boolean }[] = [
  { label: 'an Error', value: new Error('disk full'), reason: 'disk full' },
  { label: 'a TypeError, rejected', value: new TypeError('bad type'), reason: 'bad type', reject: true },
  { label: 'an Error with an empty message', value: new QuietError(''), reason: 'QuietError' },
  { label: 'a string', value: 'plain words', reason: 'plain words' },
  { label: 'an empty string', value: '', reason: /empty string/ },
  { label: 'undefined', value: undefined, reason: /undefined/ },
  { label: 'undefined, rejected', value: undefined, reason: /undefined/, reject: true },
  { label: 'null', value: null, reason: /null/ },
  { label: 'an object with a message', value: { message: 'from an object' }, reason: 'from an object' },
  { label: 'a plain object', value: { code: 42, detail: 'x' }, reason: /\{"code":42,"detail":"x"\}/ },
  { label: 'a circular object', value: circular, reason: /\[object Object\]/ },
  { label: 'a number', value: 42, reason: /42/ },
  { label: 'a symbol', value: Symbol('odd'), reason: /Symbol\(odd\)/ },
];

describe('failures', () => {
  it.each(THROWN)('turns $label into a useful failReason', async ({ value, reason, reject }) => {
    const db = await getDb();
    const monque = createMonque(db, { baseRetryInterval: 60_000 });
    monque.worker('thrower', () => {
      if (reject) return Promise.reject(value);
      throw value;
    });
    await monque.start();
    const job = await monque.now('thrower', {});
    const event = await nextEvent(monque, 'job:fail', ({ job: failed }) => failed._id.equals(job._id));
    await monque.stop();
    expect(event.error).toBeInstanceOf(Error);
    if (value instanceof Error) expect(event.error).toBe(value);
    expect(event.willRetry).toBe(true);
    expect(event.job.status).toBe(JobStatus.PENDING);
    expect(event.job.failCount).toBe(1);
    expect(event.job.failReason).toMatch(reason);
    const stored = await jobsOf(db, monque).findOne({ _id: job._id });
    expect(stored?.status).toBe(JobStatus.PENDING);
    expect(stored?.failCount).toBe(1);
    expect(stored?.failReason).toBe(event.job.failReason);
    expect(stored?.lockedAt).toBeNull();
    expect(stored).not.toHaveProperty('owner');
  });

  it('puts a failed job back at failedAt + 2^failCount × baseRetryInterval (SC-003)', async () => {
    const db = await getDb();
    const baseRetryInterval = 500;
    // The injected clock stands still: the time the handler saw, the failure's time and the due
    // time are compared exactly, however long the machine takes between them.
    const clock = new TestClock('2030-01-01T00:00:00Z');
    const monque = createMonque(db, { clock, baseRetryInterval, maxRetries: 10 });
    const thrownAt = new Map<string, number>();
    monque.worker(
      'backoff',
      (job) => {
        thrownAt.set(job._id.toHexString(), clock.now().getTime());
        throw new Error(`failure after ${job.failCount}`);
      },
      { concurrency: 4 },
    );
    // Jobs that failed 0..3 times before: the next failure is number 1..4.
    const jobs = await monque.enqueueMany([0, 1, 2, 3].map((previous) => ({ name: 'backoff', data: { previous } })));
    for (const [previous, job] of jobs.entries()) {
      await jobsOf(db, monque).updateOne({ _id: job._id }, { $set: { failCount: previous } });
    }
    const events: JobFailEvent[] = [];
    monque.on('job:fail', (event) => events.push(event));
    await monque.start();
    await waitUntil(() => events.length === jobs.length, 'every job to fail once');
    await monque.stop();

    for (const event of events) {
      const { job } = event;
      const failCount = (job.data as { previous: number }).previous + 1;
      const delay = 2 ** failCount * baseRetryInterval;
      expect(job.failCount).toBe(failCount);
      expect(event.willRetry).toBe(true);
      expect(job.nextRunAt.getTime() - job.updatedAt.getTime()).toBe(delay);
      const stored = (await jobsOf(db, monque).findOne({ _id: job._id })) as Job;
      expect(stored.status).toBe(JobStatus.PENDING);
      expect(stored.failCount).toBe(failCount);
      expect(stored.nextRunAt.getTime()).toBe(job.nextRunAt.getTime());
      // Against the time seen inside the handler and the time the failure was stored.
      const thrown = thrownAt.get(job._id.toHexString()) as number;
      expect(stored.nextRunAt.getTime() - thrown).toBe(delay);
      expect(stored.nextRunAt.getTime() - stored.updatedAt.getTime()).toBe(delay);
    }
  });

  it('retries with growing delays, never early, and fails for good at maxRetries', async () => {
    const db = await getDb();
    const baseRetryInterval = 100;
    const monque = createMonque(db, { baseRetryInterval, maxRetries: 4, pollInterval: 20 });
    const startedAt: number[] = [];
    monque.worker('stubborn', () => {
      startedAt.push(Date.now());
      throw new Error(`attempt ${startedAt.length}`);
    });
    const events: JobFailEvent[] = [];
    monque.on('job:fail', (event) => events.push(event));
    await monque.start();
    const job = await monque.now('stubborn', {});
    const final = await nextEvent(monque, 'job:fail', (event) => !event.willRetry, 15_000);
    const stored = await waitForStatus(db, monque, job._id, JobStatus.FAILED);
    await monque.stop();

    expect(events.map((event) => event.job.failCount)).toEqual([1, 2, 3, 4]);
    expect(events.map((event) => event.willRetry)).toEqual([true, true, true, false]);
    expect(events.map((event) => event.job.failReason)).toEqual(['attempt 1', 'attempt 2', 'attempt 3', 'attempt 4']);
    for (const [index, event] of events.slice(0, 3).entries()) {
      const delay = 2 ** (index + 1) * baseRetryInterval;
      // Due time and failure time come from one reading of the clock: the gap is exact.
      expect(event.job.nextRunAt.getTime() - event.job.updatedAt.getTime()).toBe(delay);
      // The next attempt started no earlier than the due time.
      expect(startedAt[index + 1] as number).toBeGreaterThanOrEqual(event.job.nextRunAt.getTime());
    }
    expect(startedAt).toHaveLength(4);
    expect(final.job.status).toBe(JobStatus.FAILED);
    expect(final.error.message).toBe('attempt 4');
    expect(stored.failCount).toBe(4);
    expect(stored.failReason).toBe('attempt 4');
    expect(stored.lockedAt).toBeNull();
  });

  it('with maxRetries 0 a job fails for good on its first error', async () => {
    const db = await getDb();
    const monque = createMonque(db, { maxRetries: 0 });
    let runs = 0;
    monque.worker('fragile', () => {
      runs += 1;
      throw new Error('once is enough');
    });
    await monque.start();
    const job = await monque.now('fragile', {});
    const event = await nextEvent(monque, 'job:fail', ({ job: failed }) => failed._id.equals(job._id));
    expect(event.willRetry).toBe(false);
    expect(event.job.status).toBe(JobStatus.FAILED);
    const stored = await waitForStatus(db, monque, job._id, JobStatus.FAILED);
    await monque.stop();
    expect(stored.failCount).toBe(1);
    expect(stored.failReason).toBe('once is enough');
    expect(runs).toBe(1);
  });

  it('a retried job eventually succeeds', async () => {
    const db = await getDb();
    const monque = createMonque(db, { baseRetryInterval: 10, maxRetries: 5 });
    let attempts = 0;
    monque.worker('eventually', async () => {
      attempts += 1;
      if (attempts < 3) throw new Error(`not yet (${attempts})`);
    });
    await monque.start();
    const job = await monque.now('eventually', {});
    const { job: done } = await nextEvent(monque, 'job:complete', ({ job: j }) => j._id.equals(job._id));
    const stored = await waitForStatus(db, monque, job._id, JobStatus.COMPLETED);
    await monque.stop();
    expect(attempts).toBe(3);
    expect(done.status).toBe(JobStatus.COMPLETED);
    expect(stored.failCount).toBe(2);
    expect(stored.completedAt).toBeInstanceOf(Date);
  });
});

describe('failure decisions', () => {
  const at = new Date('2024-06-01T12:00:00.000Z');
  const base: Job = processingJob('decide', at);
  const settings: DecisionSettings = {
    maxRetries: 3,
    baseRetryInterval: 1000,
    maxBackoffDelay: MAX_BACKOFF_DELAY_MS,
    retention: { completed: 60_000, failed: 120_000, cancelled: 180_000, sweepInterval: 1000 },
  };
  const policy = policyFor(base, undefined, settings);

  it('retries below maxRetries with the backoff delay', () => {
    const { transition, willRetry } = decideFailure({ ...base, failCount: 1 }, 'boom', at, policy, settings);
    expect(willRetry).toBe(true);
    expect(transition).toEqual({
      status: JobStatus.PENDING,
      at,
      nextRunAt: new Date(at.getTime() + 4000),
      failCount: 2,
      failReason: 'boom',
      errors: [expect.objectContaining({ at, message: 'boom' })],
    });
  });

  it('uses an explicit retry time when given (stale recovery)', () => {
    const retryAt = new Date(at.getTime() + 1);
    expect(decideFailure(base, 'lost', at, policy, settings, { retryAt }).transition.nextRunAt).toEqual(retryAt);
  });

  it('fails a one-off job when failCount reaches maxRetries, with its retention', () => {
    const { transition, willRetry } = decideFailure({ ...base, failCount: 2 }, 'last', at, policy, settings);
    expect(willRetry).toBe(false);
    expect(transition).toEqual({
      status: JobStatus.FAILED,
      at,
      failCount: 3,
      failReason: 'last',
      errors: [expect.objectContaining({ at, message: 'last' })],
      finishedAt: at,
      expireAt: new Date(at.getTime() + 120_000),
    });
  });

  it('fails at once when unrecoverable, whatever retries are left', () => {
    const { transition, willRetry } = decideFailure(base, 'bad input', at, policy, settings, { unrecoverable: true });
    expect(willRetry).toBe(false);
    expect(transition).toMatchObject({ status: JobStatus.FAILED, failCount: 1 });
  });

  it('keeps a recurring job on its schedule when it runs out of retries', () => {
    const recurring = { ...base, failCount: 2, repeatInterval: '0 * * * *' };
    const { transition, willRetry } = decideFailure(recurring, 'last', at, policy, settings);
    expect(willRetry).toBe(true);
    expect(transition).toEqual({
      status: JobStatus.PENDING,
      at,
      nextRunAt: new Date('2024-06-01T13:00:00.000Z'),
      failCount: 0,
      failReason: 'last',
      errors: [expect.objectContaining({ at, message: 'last' })],
    });
  });

  it('completes a one-off job and reschedules a recurring one on success', () => {
    expect(decideSuccess(base, undefined, at, settings)).toEqual({
      status: JobStatus.COMPLETED,
      at,
      completedAt: at,
      finishedAt: at,
      expireAt: new Date(at.getTime() + 60_000),
    });
    expect(decideSuccess(base, { rows: 3 }, at, settings).result).toEqual({ value: { rows: 3 } });
    const recurring = { ...base, failCount: 2, repeatInterval: '*/15 * * * *' };
    expect(decideSuccess(recurring, undefined, at, settings)).toEqual({
      status: JobStatus.PENDING,
      at,
      nextRunAt: new Date('2024-06-01T12:15:00.000Z'),
      failCount: 0,
      failReason: null,
      completedAt: at,
      result: null,
    });
  });

  it('keeps finished jobs forever without retention, and for an infinite period', () => {
    expect(decideSuccess(base, undefined, at, { ...settings, retention: false }).expireAt).toBeUndefined();
    const forever = {
      ...settings,
      retention: { ...(settings.retention as object), completed: Infinity },
    } as DecisionSettings;
    expect(decideSuccess(base, undefined, at, forever).expireAt).toBeUndefined();
  });

  it('keeps the original error and its cause', () => {
    const original = new RangeError('out');
    expect(toError(original)).toBe(original);
    const object = { message: 'with message' };
    expect(toError(object).cause).toBe(object);
    expect(failReasonOf(new Error(''))).toBe('Error');
    const nameless = new Error('');
    nameless.name = '';
    expect(failReasonOf(nameless)).toBe('Error');
  });

  it(`cuts a fail reason longer than ${MAX_FAIL_REASON_CHARS} characters, saying how much was left out`, () => {
    const exact = 'e'.repeat(MAX_FAIL_REASON_CHARS);
    expect(failReasonOf(new Error(exact))).toBe(exact);
    expect(failReasonOf(new Error(`${exact}xyz`))).toBe(`${exact}… (3 more characters)`);
  });
});
