/**
 * The operations API as the engine carries it out, across instances: a running job cancelled from
 * another instance stops within one heartbeatInterval and ends cancelled; a paused name stops being
 * claimed by every instance within one pollInterval and resumes likewise; finished jobs carry their
 * retention and are swept; instanceConcurrency and maxBackoffDelay limit what they say.
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobCancelledError, JobStatus, type Logger } from '../../src/index.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { deferred, jobsOf, nextEvent } from '../helpers/monque.js';
import { createOpsMonque, useOperationsDb } from './helpers.js';

const getDb = useOperationsDb(import.meta.url);

describe('cancelJob of a running job, from another instance', () => {
  it("aborts the handler's signal with JobCancelledError within one heartbeatInterval; the job ends cancelled, never retried", async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const heartbeatInterval = 200;
    const runner = createOpsMonque(db, { collectionName, heartbeatInterval, lockTimeout: 5_000 });
    const operator = createOpsMonque(db, { collectionName });
    let abortedAt = 0;
    let reason: unknown;
    runner.worker('export', async (_job, { signal }) => {
      await new Promise<void>((resolve) =>
        signal.addEventListener('abort', () => {
          abortedAt = Date.now();
          reason = signal.reason;
          resolve();
        }),
      );
      throw signal.reason;
    });
    await runner.start();
    const job = await runner.enqueue('export', {});
    await nextEvent(runner, 'job:start');
    const cancelled = nextEvent(runner, 'job:cancelled');
    const requestedAt = Date.now();
    const requested = await operator.cancelJob(job._id, { reason: 'wrong customer' });
    expect(requested?.status).toBe(JobStatus.PROCESSING);
    expect(requested?.cancelRequestedAt).toBeInstanceOf(Date);
    const { job: ended } = await cancelled;
    await runner.stop();
    expect(reason).toBeInstanceOf(JobCancelledError);
    expect((reason as JobCancelledError).reason).toBe('wrong customer');
    expect(abortedAt - requestedAt).toBeLessThanOrEqual(heartbeatInterval + 150);
    expect(ended.status).toBe(JobStatus.CANCELLED);
    const stored = await jobsOf(db, runner).findOne({ _id: job._id });
    expect(stored).toMatchObject({ status: JobStatus.CANCELLED, failCount: 0, cancelReason: 'wrong customer' });
    expect(stored?.finishedAt).toBeInstanceOf(Date);
  });
});

describe('pause and resume across instances', () => {
  it('a name paused by one instance stops being claimed by another within one pollInterval; resume restarts it', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const pollInterval = 150;
    const worker = createOpsMonque(db, { collectionName, pollInterval, changeStreamWakeups: false });
    const operator = createOpsMonque(db, { collectionName });
    const started: string[] = [];
    worker.worker('mail', (job) => {
      started.push((job.data as { tag: string }).tag);
    });
    worker.worker('other', () => {});
    await worker.start();
    await worker.enqueue('mail', { tag: 'before' });
    await waitUntil(() => started.includes('before'), 'the first mail');
    await operator.pause('mail');
    await new Promise((resolve) => setTimeout(resolve, pollInterval + 50));
    const paused = await operator.enqueue('mail', { tag: 'while-paused' });
    const other = await operator.enqueue('other', {});
    await waitUntil(
      async () => (await jobsOf(db, worker).findOne({ _id: other._id }))?.status === JobStatus.COMPLETED,
      'other names to keep running',
    );
    await new Promise((resolve) => setTimeout(resolve, 3 * pollInterval));
    expect(started).toEqual(['before']);
    expect((await jobsOf(db, worker).findOne({ _id: paused._id }))?.status).toBe(JobStatus.PENDING);
    await operator.resume('mail');
    await waitUntil(() => started.includes('while-paused'), 'the paused mail after resume', {
      timeoutMs: 5 * pollInterval + 1_000,
    });
    await worker.stop();
  });

  it('pause() of everything survives a restart: a new instance claims nothing until resume()', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const first = createOpsMonque(db, { collectionName, pollInterval: 50 });
    await first.pause();
    const job = await first.enqueue('later', {});
    const second = createOpsMonque(db, { collectionName, pollInterval: 50 });
    let runs = 0;
    second.worker('later', () => {
      runs += 1;
    });
    await second.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runs).toBe(0);
    await first.resume();
    await waitUntil(
      async () => (await jobsOf(db, second).findOne({ _id: job._id }))?.status === JobStatus.COMPLETED,
      'the job after resume',
      { timeoutMs: 3_000 },
    );
    await second.stop();
  });
});

describe('retention', () => {
  it('completed and failed jobs get their expiry when they finish, and the sweep deletes them', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db, {
      maxRetries: 1,
      retention: { completed: 100, failed: 60_000, cancelled: 100, sweepInterval: 50 },
    });
    monque.worker('ok', () => {});
    monque.worker('bad', () => {
      throw new Error('no');
    });
    await monque.start();
    const ok = await monque.enqueue('ok', {});
    const bad = await monque.enqueue('bad', {});
    await nextEvent(monque, 'job:fail');
    const failed = (await jobsOf(db, monque).findOne({ _id: bad._id })) as JobDocument | null;
    expect(failed?.expireAt && failed.finishedAt && failed.expireAt.getTime() - failed.finishedAt.getTime()).toBe(
      60_000,
    );
    await waitUntil(
      async () => (await jobsOf(db, monque).findOne({ _id: ok._id })) === null,
      'the completed job to be swept',
      { timeoutMs: 3_000 },
    );
    await monque.stop();
    expect(await jobsOf(db, monque).findOne({ _id: bad._id })).not.toBeNull();
  });

  it('retention: false keeps finished jobs without an expiry', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db, { retention: false });
    monque.worker('keep', () => {});
    await monque.start();
    const job = await monque.enqueue('keep', {});
    await nextEvent(monque, 'job:complete');
    await monque.stop();
    const stored = (await jobsOf(db, monque).findOne({ _id: job._id })) as JobDocument | null;
    expect(stored?.expireAt).toBeUndefined();
    expect(stored?.finishedAt).toBeInstanceOf(Date);
  });
});

describe('instance limits', () => {
  it('instanceConcurrency caps running jobs of all names together', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db, { instanceConcurrency: 3 });
    let running = 0;
    let most = 0;
    const release = deferred();
    for (const name of ['a', 'b', 'c']) {
      monque.worker(
        name,
        async () => {
          running += 1;
          most = Math.max(most, running);
          await release.promise;
          running -= 1;
        },
        { concurrency: 3 },
      );
    }
    await monque.enqueueMany(['a', 'b', 'c'].flatMap((name) => [1, 2, 3].map((i) => ({ name, data: { i } }))));
    await monque.start();
    await waitUntil(() => running === 3, 'three jobs to run');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(running).toBe(3);
    release.resolve();
    await waitUntil(
      async () => (await jobsOf(db, monque).countDocuments({ status: JobStatus.COMPLETED })) === 9,
      'all nine',
    );
    await monque.stop();
    expect(most).toBe(3);
  });

  it('maxBackoffDelay caps the retry delay', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db, { baseRetryInterval: 60_000, maxBackoffDelay: 1_000 });
    monque.worker('slowly-failing', () => {
      throw new Error('again');
    });
    await monque.start();
    await monque.enqueue('slowly-failing', {});
    const { job } = await nextEvent(monque, 'job:fail');
    await monque.stop();
    expect(job.nextRunAt.getTime() - (job.updatedAt as Date).getTime()).toBe(1_000);
  });
});

describe('logger', () => {
  it('logs start, stop and recoveries for an operator, never job data', async () => {
    const db = await getDb();
    const lines: string[] = [];
    const logger: Logger = {
      debug: (message, context) => lines.push(`debug ${message} ${JSON.stringify(context ?? {})}`),
      info: (message, context) => lines.push(`info ${message} ${JSON.stringify(context ?? {})}`),
      warn: (message, context) => lines.push(`warn ${message} ${JSON.stringify(context ?? {})}`),
      error: (message, context) => lines.push(`error ${message} ${JSON.stringify(context ?? {})}`),
    };
    const collectionName = freshCollectionName(db);
    const monque = createOpsMonque(db, {
      collectionName,
      logger,
      lockTimeout: 300,
      staleCheckInterval: 50,
      clockSkewTolerance: 0,
    });
    await jobsOf(db, monque).insertOne({
      name: 'orphan',
      data: { secret: 'card-4242' },
      status: JobStatus.PROCESSING,
      nextRunAt: new Date(0),
      lockedAt: new Date(Date.now() - 60_000),
      owner: 'gone',
      claimToken: 'old',
      failCount: 0,
      createdAt: new Date(0),
      updatedAt: new Date(0),
    } as never);
    await monque.start();
    await monque.stop();
    expect(lines.some((line) => line.startsWith('info monque started'))).toBe(true);
    expect(lines.some((line) => line.startsWith('info monque stopped'))).toBe(true);
    expect(lines.some((line) => line.startsWith('warn recovered a stale job'))).toBe(true);
    expect(lines.join('\n')).not.toContain('card-4242');
  });
});
