/**
 * `timeout`: at the deadline the handler's `signal` aborts with a `JobTimeoutError` and the run
 * counts as failed (retried per policy), at once, whatever the handler does next.
 *
 * What happens when a handler ignores its signal (decided, documented in the guide, tested here):
 * its failure is written at the deadline all the same; it keeps its worker slot until it settles;
 * this instance never starts another run of that job meanwhile (even once the retry is due), but
 * another instance may; and whatever the handler returns or throws late is discarded.
 */
import { performance } from 'node:perf_hooks';
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import {
  type Job,
  type JobCompleteEvent,
  type JobFailEvent,
  JobStatus,
  JobTimeoutError,
  MonqueErrorCode,
} from '../../src/index.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb, waitForStatus } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** How late after its deadline a signal may abort (the contract's figure). */
const ABORT_LATENESS_MS = 100;

/** A handler that stops when its signal aborts, recording when it started and when it was told to stop. */
function honouringHandler() {
  const runs: { startedAt: number; abortedAt?: number; reason?: unknown }[] = [];
  const handler = (_job: Job, { signal }: { signal: AbortSignal }) =>
    new Promise<never>((_, reject) => {
      const run: (typeof runs)[number] = { startedAt: performance.now() };
      runs.push(run);
      signal.addEventListener('abort', () => {
        run.abortedAt = performance.now();
        run.reason = signal.reason;
        reject(signal.reason);
      });
    });
  return { runs, handler };
}

/** Events of one job. */
function eventsOf(monque: ReturnType<typeof createMonque>, id: Job['_id']) {
  const fails: JobFailEvent[] = [];
  const completes: JobCompleteEvent[] = [];
  const starts: number[] = [];
  monque.on('job:fail', (event) => event.job._id.equals(id) && fails.push(event));
  monque.on('job:complete', (event) => event.job._id.equals(id) && completes.push(event));
  monque.on('job:start', (job) => job._id.equals(id) && starts.push(performance.now()));
  return { fails, completes, starts };
}

describe('timeout', () => {
  it('aborts the signal with a JobTimeoutError within 100 ms of the deadline; the run fails and is retried per policy', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const { runs, handler } = honouringHandler();
    monque.worker('slow', handler);
    await monque.start();
    const timeout = 300;
    const job = await monque.enqueue('slow', {}, { timeout, maxRetries: 2, backoff: { type: 'fixed', delay: 30 } });
    const events = eventsOf(monque, job._id);
    const final = await nextEvent(monque, 'job:fail', (event) => event.job._id.equals(job._id) && !event.willRetry);
    await monque.stop();

    expect(runs).toHaveLength(2);
    for (const run of runs) {
      const abortedAfter = (run.abortedAt as number) - run.startedAt;
      // The deadline counts from the claim, a little before the handler started.
      expect(abortedAfter).toBeGreaterThanOrEqual(timeout - 20);
      expect(abortedAfter).toBeLessThanOrEqual(timeout + ABORT_LATENESS_MS);
      expect(run.reason).toBeInstanceOf(JobTimeoutError);
      expect(run.reason).toMatchObject({ code: MonqueErrorCode.JOB_TIMEOUT, timeout });
    }
    const [first, second] = events.fails as [JobFailEvent, JobFailEvent];
    expect(first.error).toBe(runs[0]?.reason);
    expect(first.willRetry).toBe(true);
    expect(first.job.failCount).toBe(1);
    expect(first.job.nextRunAt.getTime() - first.job.updatedAt.getTime()).toBe(30);
    expect(second).toBe(final);
    expect(final.job.status).toBe(JobStatus.FAILED);
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.FAILED,
      failCount: 2,
      attempts: 2,
      failReason: `the run took longer than its timeout of ${timeout} ms`,
    });
  });

  it("a worker's timeout applies to its jobs; a job's own timeout wins over it", async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const { runs, handler } = honouringHandler();
    monque.worker('bounded', handler, { timeout: 150, concurrency: 2, maxRetries: 1 });
    const [byWorker, byJob] = (await monque.enqueueMany([
      { name: 'bounded', data: { n: 1 } },
      { name: 'bounded', data: { n: 2 }, options: { timeout: 450 } },
    ])) as [Job, Job];
    const failures: JobFailEvent[] = [];
    const bothFailed = new Promise<void>((resolve) =>
      monque.on('job:fail', (event) => {
        failures.push(event);
        if (failures.length === 2) resolve();
      }),
    );
    await monque.start();
    await bothFailed;
    await monque.stop();
    const timeoutOf = (job: Job) =>
      (failures.find((event) => event.job._id.equals(job._id))?.error as JobTimeoutError | undefined)?.timeout;
    expect(timeoutOf(byWorker)).toBe(150);
    expect(timeoutOf(byJob)).toBe(450);
    const elapsed = runs.map((run) => (run.abortedAt as number) - run.startedAt).sort((a, b) => a - b);
    expect(elapsed[0]).toBeLessThanOrEqual(150 + ABORT_LATENESS_MS);
    expect(elapsed[1]).toBeGreaterThanOrEqual(450 - 20);
  });
});

describe('a handler that ignores its signal', () => {
  it('keeps its slot; this instance never starts the job again until it settles, even once the retry is due', async () => {
    const db = await getDb();
    const monque = createMonque(db, { pollInterval: 20 });
    const release = deferred();
    let stubbornRuns = 0;
    monque.worker<{ kind: string }>(
      'mixed',
      async (job) => {
        if (job.data.kind !== 'stubborn') return 'probe done';
        stubbornRuns += 1;
        if (stubbornRuns > 1) return 'second run';
        await release.promise; // never looks at its signal
        return 'late value';
      },
      { concurrency: 2 },
    );
    await monque.start();
    const job = await monque.enqueue(
      'mixed',
      { kind: 'stubborn' },
      { timeout: 150, maxRetries: 3, backoff: { type: 'fixed', delay: 10 } },
    );
    const events = eventsOf(monque, job._id);
    const timedOut = await nextEvent(monque, 'job:fail', (event) => event.job._id.equals(job._id));
    expect(timedOut.error).toBeInstanceOf(JobTimeoutError);
    expect(timedOut.willRetry).toBe(true);
    // The failure is stored at the deadline, while the handler still runs.
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.PENDING,
      failCount: 1,
    });

    // A job of the same name that becomes due AFTER the retry: claims go by due time, so it can
    // only start first if the claim skipped the due retry. It gets the one free slot.
    const probe = await monque.enqueue(
      'mixed',
      { kind: 'probe' },
      { runAt: new Date(timedOut.job.nextRunAt.getTime() + 5) },
    );
    await waitForStatus(db, monque, probe._id, JobStatus.COMPLETED);
    expect(stubbornRuns).toBe(1);
    expect(events.starts).toHaveLength(1);
    const stored = (await jobsOf(db, monque).findOne({ _id: job._id })) as Job;
    expect(stored.status).toBe(JobStatus.PENDING);
    expect(stored.nextRunAt.getTime()).toBeLessThan(Date.now());

    // Once the handler settles, its late value is discarded and the retry runs.
    const secondRun = nextEvent(monque, 'job:complete', (event) => event.job._id.equals(job._id));
    release.resolve();
    const { result } = await secondRun;
    await monque.stop();
    expect(result).toBe('second run');
    expect(stubbornRuns).toBe(2);
    expect(events.fails).toHaveLength(1);
    expect(events.completes.map((event) => event.result)).toEqual(['second run']);
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.COMPLETED,
      result: 'second run',
      attempts: 2,
      failCount: 1,
    });
  });

  it('holds its slot: with concurrency 1, other jobs of its name wait until it settles', async () => {
    const db = await getDb();
    const monque = createMonque(db, { pollInterval: 20 });
    const release = deferred();
    const started: string[] = [];
    monque.worker<{ label: string }>(
      'single',
      async (job) => {
        started.push(job.data.label);
        if (job.data.label === 'stubborn' && started.length === 1) await release.promise;
      },
      { concurrency: 1 },
    );
    await monque.start();
    const job = await monque.enqueue(
      'single',
      { label: 'stubborn' },
      { timeout: 100, backoff: { type: 'fixed', delay: 10 } },
    );
    const timedOut = await nextEvent(monque, 'job:fail', (event) => event.job._id.equals(job._id));
    // Due just after the retry: once the slot is free, the retry goes first.
    const other = await monque.enqueue(
      'single',
      { label: 'other' },
      { runAt: new Date(timedOut.job.nextRunAt.getTime() + 5) },
    );
    // Fifteen poll intervals: nothing starts while the timed-out handler holds the only slot.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(started).toEqual(['stubborn']);
    expect((await jobsOf(db, monque).findOne({ _id: other._id }))?.status).toBe(JobStatus.PENDING);
    release.resolve();
    await waitForStatus(db, monque, other._id, JobStatus.COMPLETED);
    await waitForStatus(db, monque, job._id, JobStatus.COMPLETED);
    await monque.stop();
    // The retry was due before the other job: it runs first once the slot is free.
    expect(started).toEqual(['stubborn', 'stubborn', 'other']);
  });

  it('may overlap with the retry on ANOTHER instance; the late result is discarded there too', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const first = createMonque(db, { collectionName, pollInterval: 20 });
    const second = createMonque(db, { collectionName, pollInterval: 20 });
    const release = deferred();
    const running = { first: 0, second: 0, overlapSeen: false };
    first.worker(
      'shared',
      async () => {
        running.first += 1;
        await release.promise;
        running.first -= 1;
        return 'late value from the first instance';
      },
      { concurrency: 2 },
    );
    await first.start();
    const job = await first.enqueue('shared', {}, { timeout: 100, backoff: { type: 'fixed', delay: 10 } });
    await nextEvent(first, 'job:fail', (event) => event.job._id.equals(job._id));

    second.worker('shared', () => {
      running.overlapSeen = running.first > 0;
      return 'from the second instance';
    });
    const done = nextEvent(second, 'job:complete', (event) => event.job._id.equals(job._id));
    await second.start();
    const { result } = await done;
    expect(result).toBe('from the second instance');
    expect(running.overlapSeen, 'the retry ran while the first handler was still running').toBe(true);

    const lateEvents: string[] = [];
    first.on('job:complete', () => lateEvents.push('complete'));
    first.on('job:fail', () => lateEvents.push('fail'));
    release.resolve();
    await waitUntil(() => running.first === 0, 'the first handler to settle');
    await Promise.all([first.stop(), second.stop()]);
    expect(lateEvents).toEqual([]);
    expect(await jobsOf(db, first).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.COMPLETED,
      result: 'from the second instance',
      failCount: 1,
    });
  });

  it('with no retry left: failed at the deadline; a late throw writes nothing more', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const release = deferred();
    monque.worker('doomed', async () => {
      await release.promise;
      throw new Error('late failure');
    });
    await monque.start();
    const job = await monque.enqueue('doomed', {}, { timeout: 100, maxRetries: 1 });
    const failed = await nextEvent(monque, 'job:fail', (event) => event.job._id.equals(job._id));
    expect(failed.willRetry).toBe(false);
    const before = (await jobsOf(db, monque).findOne({ _id: job._id })) as Job;
    expect(before).toMatchObject({ status: JobStatus.FAILED, failCount: 1 });
    const lateEvents: string[] = [];
    monque.on('job:fail', () => lateEvents.push('fail'));
    monque.on('job:error', ({ error }) => lateEvents.push(`error: ${error.message}`));
    // stop() waits for the handler that ignored its signal (it still runs), then resolves.
    const stopped = monque.stop();
    release.resolve();
    await stopped;
    expect(lateEvents).toEqual([]);
    const after = (await jobsOf(db, monque).findOne({ _id: job._id })) as Job;
    expect(after).toEqual(before);
  });
});
