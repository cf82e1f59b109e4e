/**
 * Per-job retry policy: `maxRetries` and `backoff` given on `enqueue`, `enqueueMany` items and
 * `schedule` are stored on the job, so whichever instance runs it applies them; a worker's own
 * settings apply to jobs without; the instance's apply last. Due times are checked exactly with a
 * clock the test moves by hand (the engine reads every timestamp from it): a failure at `T` makes
 * the job due at `T + delay`, to the millisecond, and it runs again once the clock shows that time.
 */
import { describe, expect, it } from 'vitest';
import {
  type BackoffOptions,
  type Job,
  type JobFailEvent,
  JobStatus,
  type Monque,
  type MonqueOptions,
} from '../../src/index.js';
import { backoffDelay } from '../../src/retry/backoff.js';
import { createMonque, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';

const getDb = useTestDb(import.meta.url);

const START = '2030-01-01T10:00:00.000Z';

/** The instance's own settings in these tests: they must never be the ones that apply. */
const INSTANCE: MonqueOptions = { maxRetries: 10, baseRetryInterval: 1_000 };

/** A started instance whose worker of `name` always fails, counting its runs. */
async function failingInstance(
  clock: TestClock,
  name: string,
  options: MonqueOptions & { worker?: Parameters<Monque['worker']>[2]; collectionName?: string } = {},
) {
  const db = await getDb();
  const { worker, ...instance } = options;
  const monque = createMonque(db, { ...INSTANCE, ...instance, clock });
  const runs = { count: 0 };
  monque.worker(
    name,
    () => {
      runs.count += 1;
      throw new Error(`run ${runs.count} failed`);
    },
    worker,
  );
  await monque.start();
  return { db, monque, runs };
}

/**
 * Waits for the next failure of `id`, then returns it with the delay it was given (its new
 * `nextRunAt` minus the clock at the failure), and moves the clock to that due time.
 */
async function nextFailure(monque: Monque, clock: TestClock, id: Job['_id'], advance = true) {
  const failedAt = clock.now().getTime();
  const event: JobFailEvent = await nextEvent(monque, 'job:fail', ({ job }) => job._id.equals(id));
  const delay = event.job.nextRunAt.getTime() - failedAt;
  if (advance && event.willRetry) clock.set(event.job.nextRunAt);
  return { event, delay };
}

/** The delays of `count` consecutive failures of one job (the clock follows each due time). */
async function delaysOf(monque: Monque, clock: TestClock, id: Job['_id'], count: number): Promise<number[]> {
  const delays: number[] = [];
  for (let i = 0; i < count; i += 1) delays.push((await nextFailure(monque, clock, id)).delay);
  return delays;
}

describe('precedence: job, then worker, then instance', () => {
  it("a job's own maxRetries and backoff beat its worker's and the instance's (enqueued by another instance)", async () => {
    const clock = new TestClock(START);
    const { db, monque, runs } = await failingInstance(clock, 'charge', {
      worker: { maxRetries: 5, backoff: { type: 'fixed', delay: 7_000 } },
    });
    // A producer with other instance settings: what counts is what it stored on the job.
    const producer = createMonque(db, {
      collectionName: monque.options.collectionName,
      maxRetries: 3,
      baseRetryInterval: 50,
      clock,
    });
    const job = await producer.enqueue(
      'charge',
      { order: 1 },
      { maxRetries: 2, backoff: { type: 'exponential', delay: 300 } },
    );
    expect(job).toMatchObject({ maxRetries: 2, backoff: { type: 'exponential', delay: 300 } });

    const first = await nextFailure(monque, clock, job._id);
    expect(first.delay).toBe(2 ** 1 * 300);
    expect(first.event.willRetry).toBe(true);
    expect(first.event.job.failCount).toBe(1);

    const second = await nextFailure(monque, clock, job._id);
    expect(second.event.willRetry).toBe(false);
    expect(second.event.job.status).toBe(JobStatus.FAILED);
    await monque.stop();
    expect(runs.count).toBe(2);
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.FAILED,
      failCount: 2,
      failReason: 'run 2 failed',
    });
  });

  it("a job without its own settings follows its worker's, not the instance's", async () => {
    const clock = new TestClock(START);
    const { db, monque, runs } = await failingInstance(clock, 'sync', {
      worker: { maxRetries: 3, backoff: { type: 'fixed', delay: 5_000 } },
    });
    const job = await monque.enqueue('sync', {});
    expect(job.maxRetries).toBeUndefined();
    expect(job.backoff).toBeUndefined();
    // The instance would wait 2^1 × 1000 and allow 10 failures.
    expect(await delaysOf(monque, clock, job._id, 2)).toEqual([5_000, 5_000]);
    const last = await nextFailure(monque, clock, job._id);
    expect(last.event.willRetry).toBe(false);
    await monque.stop();
    expect(runs.count).toBe(3);
    expect((await jobsOf(db, monque).findOne({ _id: job._id }))?.status).toBe(JobStatus.FAILED);
  });

  it("a worker's maxRetries alone keeps the instance's backoff, and its backoff alone keeps the instance's maxRetries", async () => {
    const clock = new TestClock(START);
    const { monque } = await failingInstance(clock, 'half', { worker: { maxRetries: 2 }, maxRetries: 10 });
    const job = await monque.enqueue('half', {});
    const first = await nextFailure(monque, clock, job._id);
    expect(first.delay).toBe(2 * 1_000);
    expect((await nextFailure(monque, clock, job._id)).event.willRetry).toBe(false);
    await monque.stop();

    const other = await failingInstance(clock, 'other-half', {
      worker: { backoff: { type: 'fixed', delay: 777 } },
      maxRetries: 2,
    });
    const second = await other.monque.enqueue('other-half', {});
    const fixed = await nextFailure(other.monque, clock, second._id);
    expect(fixed.delay).toBe(777);
    expect((await nextFailure(other.monque, clock, second._id)).event.willRetry).toBe(false);
    await other.monque.stop();
  });

  it('the instance settings apply when neither job nor worker has any: exactly 2^failCount × baseRetryInterval', async () => {
    const clock = new TestClock(START);
    const { monque } = await failingInstance(clock, 'plain', { baseRetryInterval: 250, maxRetries: 4 });
    const job = await monque.enqueue('plain', {});
    expect(await delaysOf(monque, clock, job._id, 3)).toEqual([500, 1_000, 2_000]);
    expect((await nextFailure(monque, clock, job._id)).event.willRetry).toBe(false);
    await monque.stop();
  });
});

describe('backoff', () => {
  it('exponential stays exactly 2^failCount × delay (no jitter unless asked for)', async () => {
    const clock = new TestClock(START);
    const { monque } = await failingInstance(clock, 'exp');
    const job = await monque.enqueue('exp', {}, { maxRetries: 7, backoff: { type: 'exponential', delay: 1_000 } });
    expect(await delaysOf(monque, clock, job._id, 6)).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 64_000]);
    const stored = (await jobsOf(await getDb(), monque).findOne({ _id: job._id })) as Job;
    // The stored due time is the failure's time plus the delay, to the millisecond.
    expect(stored.nextRunAt.getTime() - stored.updatedAt.getTime()).toBe(64_000);
    await monque.stop();
  });

  it('fixed waits the same delay after every failure', async () => {
    const clock = new TestClock(START);
    const { monque } = await failingInstance(clock, 'fixed');
    const job = await monque.enqueue('fixed', {}, { maxRetries: 5, backoff: { type: 'fixed', delay: 1_500 } });
    expect(await delaysOf(monque, clock, job._id, 4)).toEqual([1_500, 1_500, 1_500, 1_500]);
    await monque.stop();
  });

  it("maxDelay caps the backoff's growth", async () => {
    const clock = new TestClock(START);
    const { monque } = await failingInstance(clock, 'capped');
    const backoff: BackoffOptions = { type: 'exponential', delay: 1_000, maxDelay: 3_000 };
    const job = await monque.enqueue('capped', {}, { maxRetries: 5, backoff });
    expect(await delaysOf(monque, clock, job._id, 4)).toEqual([2_000, 3_000, 3_000, 3_000]);
    await monque.stop();
  });

  it("the instance's maxBackoffDelay caps every backoff, a job's larger maxDelay included", async () => {
    const clock = new TestClock(START);
    const { monque } = await failingInstance(clock, 'instance-cap', { maxBackoffDelay: 2_500 });
    const [exponential, fixed] = await monque.enqueueMany([
      {
        name: 'instance-cap',
        data: { n: 1 },
        options: { maxRetries: 4, backoff: { type: 'exponential', delay: 1_000, maxDelay: 10_000 } },
      },
      { name: 'instance-cap', data: { n: 2 }, options: { maxRetries: 2, backoff: { type: 'fixed', delay: 10_000 } } },
    ]);
    const fixedFailure = nextFailure(monque, clock, (fixed as Job)._id, false);
    const delays = await delaysOf(monque, clock, (exponential as Job)._id, 3);
    expect(delays).toEqual([2_000, 2_500, 2_500]);
    const { event } = await fixedFailure;
    expect(event.job.nextRunAt.getTime() - event.job.updatedAt.getTime()).toBe(2_500);
    await monque.stop();
  });

  it('a delay past the largest Date: the retry is due at the latest time a Date can hold, never at once', async () => {
    const clock = new TestClock(START);
    const { db, monque, runs } = await failingInstance(clock, 'far-off', { maxBackoffDelay: Number.MAX_SAFE_INTEGER });
    const job = await monque.enqueue(
      'far-off',
      {},
      { maxRetries: 3, backoff: { type: 'fixed', delay: Number.MAX_SAFE_INTEGER } },
    );
    const { event } = await nextFailure(monque, clock, job._id, false);
    expect(event.willRetry).toBe(true);
    expect(event.job.nextRunAt.getTime()).toBe(8.64e15);
    const stored = await jobsOf(db, monque).findOne({ _id: job._id });
    expect(stored?.nextRunAt.getTime()).toBe(8.64e15);
    // Polls go on (every 50 ms): a job stored as due at once would run again.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runs.count).toBe(1);
    await monque.stop();
  });

  it('jitter spreads delays within [delay × (1 − jitter), delay]', async () => {
    const clock = new TestClock(START);
    const { monque } = await failingInstance(clock, 'jittery', { worker: { concurrency: 10 } });
    const backoff: BackoffOptions = { type: 'exponential', delay: 1_000, jitter: 0.5 };
    const jobs = await monque.enqueueMany(
      Array.from({ length: 20 }, (_, n) => ({ name: 'jittery', data: { n }, options: { maxRetries: 5, backoff } })),
    );
    const failures: JobFailEvent[] = [];
    const allFailed = new Promise<void>((resolve) => {
      monque.on('job:fail', (event) => {
        failures.push(event);
        if (failures.length === jobs.length) resolve();
      });
    });
    await allFailed;
    await monque.stop();
    const failedAt = new Date(START).getTime();
    const delays = failures.map((event) => event.job.nextRunAt.getTime() - failedAt);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(2_000 * (1 - 0.5));
      expect(delay).toBeLessThanOrEqual(2_000);
    }
    expect(new Set(delays).size, 'twenty random delays are not all the same').toBeGreaterThan(1);
  });

  it('jitter bounds of the formula: the extremes of the random number', () => {
    const backoff: BackoffOptions = { type: 'fixed', delay: 1_000, jitter: 0.25 };
    expect(backoffDelay(backoff, 3, undefined, () => 0)).toBe(1_000);
    expect(backoffDelay(backoff, 3, undefined, () => 0.999_999)).toBeGreaterThan(750);
    expect(backoffDelay({ ...backoff, jitter: 1 }, 3, undefined, () => 0.999_999)).toBeGreaterThan(0);
    // Jitter applies after the caps: never above maxDelay or the instance's cap.
    expect(backoffDelay({ type: 'exponential', delay: 1_000, maxDelay: 1_500, jitter: 0.5 }, 4, 1_200, () => 0)).toBe(
      1_200,
    );
  });
});

describe('policy given on every way of creating a job', () => {
  it('enqueueMany items keep their own maxRetries and backoff', async () => {
    const clock = new TestClock(START);
    const { monque } = await failingInstance(clock, 'batch', { worker: { concurrency: 2 } });
    const [once, slow] = (await monque.enqueueMany([
      { name: 'batch', data: { n: 1 }, options: { maxRetries: 1 } },
      { name: 'batch', data: { n: 2 }, options: { backoff: { type: 'fixed', delay: 4_321 } } },
    ])) as [Job, Job];
    const slowFailure = nextFailure(monque, clock, slow._id, false);
    const onceFailure = await nextFailure(monque, clock, once._id, false);
    expect(onceFailure.event.willRetry).toBe(false);
    expect(onceFailure.event.job.status).toBe(JobStatus.FAILED);
    expect((await slowFailure).delay).toBe(4_321);
    await monque.stop();
  });

  it('a recurring job retries with its own backoff, then goes on at its next cron time', async () => {
    const clock = new TestClock(START);
    const { db, monque } = await failingInstance(clock, 'nightly');
    const job = await monque.schedule(
      '0 0 * * *',
      'nightly',
      {},
      { maxRetries: 2, backoff: { type: 'fixed', delay: 1_234 } },
    );
    expect(job.nextRunAt.toISOString()).toBe('2030-01-02T00:00:00.000Z');
    clock.set(job.nextRunAt);
    const first = await nextFailure(monque, clock, job._id);
    expect(first.delay).toBe(1_234);
    const second = await nextFailure(monque, clock, job._id, false);
    // Out of retries: this occurrence failed for good, the schedule goes on.
    expect(second.event.willRetry).toBe(true);
    expect(second.event.job.status).toBe(JobStatus.PENDING);
    expect(second.event.job.nextRunAt.toISOString()).toBe('2030-01-03T00:00:00.000Z');
    await monque.stop();
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.PENDING,
      failCount: 0,
      failReason: 'run 2 failed',
      maxRetries: 2,
      backoff: { type: 'fixed', delay: 1_234 },
    });
  });

  it('scheduling again replaces the policy: options left out are removed', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    await monque.schedule(
      '0 0 * * *',
      'report',
      {},
      { maxRetries: 1, backoff: { type: 'fixed', delay: 5 }, timeout: 9 },
    );
    const again = await monque.schedule('0 0 * * *', 'report', {}, { maxRetries: 4 });
    expect(again.maxRetries).toBe(4);
    expect(again).not.toHaveProperty('backoff');
    expect(again).not.toHaveProperty('timeout');
    expect(await jobsOf(db, monque).countDocuments({})).toBe(1);
  });
});
