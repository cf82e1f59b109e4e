/**
 * The claim's guards seen from outside, on a test clock: whichever path a claim takes (one free
 * slot with the paused state fresh: one `findAndModify`; otherwise a read, then a guarded write),
 * a job is never started before its due time, and a job this instance still runs is never claimed
 * by it again, even when another instance made it `pending` meanwhile. The claim commands are counted on the wire, so
 * "not claimed" means "not claimed although the engine looked several times".
 */
import { waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { type Job, JobStatus, type Monque } from '../../src/index.js';
import { type CommandLog, openCommandLog } from '../helpers/command-log.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';

const getDb = useTestDb(import.meta.url);
const T0 = new Date('2030-01-01T00:00:00Z');

/** The claim paths: one free slot, or several. */
const PATHS = [
  { path: 'single-slot claim path (one findAndModify)', concurrency: 1, claimRead: 'findAndModify' },
  { path: 'multi-slot claim path (a read, then a guarded write)', concurrency: 4, claimRead: 'find' },
] as const;

/** Resolves once `count` more commands named `name` on `monque`'s collection were sent. */
async function seenMore(log: CommandLog, monque: Monque, name: string, count: number): Promise<void> {
  const collection = monque.options.collectionName;
  const sent = () =>
    log.commands.filter((event) => event.commandName === name && event.command[name] === collection).length;
  const target = sent() + count;
  await waitUntil(() => sent() >= target, `${count} more '${name}' commands`, { timeoutMs: 10_000 });
}

async function withLog<T>(work: (log: CommandLog) => Promise<T>): Promise<T> {
  const log = await openCommandLog((await getDb()).databaseName);
  try {
    return await work(log);
  } finally {
    await log.close();
  }
}

describe.each(PATHS)('$path', ({ concurrency, claimRead }) => {
  it('due-time guard (nextRunAt <= now): a job due in a minute is not started before the clock reaches it', async () => {
    await withLog(async (log) => {
      const clock = new TestClock(T0);
      const monque = createMonque(log.db, { clock, pollInterval: 20 });
      const started: Job[] = [];
      monque.worker(
        'later',
        (job) => {
          started.push(job);
        },
        { concurrency },
      );
      // A first job due now: once a claim has read the paused state, a single free slot is
      // claimed in one findAndModify (with the clock standing still, that state stays fresh).
      const warmup = await monque.enqueue('later', { warmup: true });
      const job = await monque.enqueue('later', {}, { runAt: new Date(T0.getTime() + 60_000) });
      const warmedUp = nextEvent(monque, 'job:complete');
      await monque.start();
      expect((await warmedUp).job._id).toEqual(warmup._id);
      started.length = 0;
      await seenMore(log, monque, claimRead, 3);
      expect(started).toEqual([]);
      expect((await jobsOf(log.db, monque).findOne({ _id: job._id }))?.status).toBe(JobStatus.PENDING);

      const completed = nextEvent(monque, 'job:complete');
      clock.advance(60_000);
      expect((await completed).job._id).toEqual(job._id);
      expect(started.map((run) => run._id)).toEqual([job._id]);
      await monque.stop();
    });
  });

  it('busy-id guard: a job this instance still runs, made pending by another instance, is not claimed here again', async () => {
    await withLog(async (log) => {
      const clock = new TestClock(T0);
      // The heartbeat stays out of it (it would only detach the run, which keeps its slot anyway).
      const monque = createMonque(log.db, { clock, pollInterval: 20, lockTimeout: 60_000 });
      const release = deferred();
      const runs: Job[] = [];
      monque.worker(
        'stuck',
        async (job) => {
          runs.push(job);
          // The first run ignores its signal: its slot and its place in this instance stay taken.
          if (runs.length === 1) await release.promise;
        },
        { concurrency: concurrency + 1 },
      );
      const job = await monque.enqueue('stuck', {});
      await monque.start();
      await nextEvent(monque, 'job:start');
      // Another instance took it for stale and made it due again.
      const marker = new Date(T0.getTime() - 86_400_000);
      await jobsOf(log.db, monque).updateOne(
        { _id: job._id },
        {
          $set: { status: JobStatus.PENDING, nextRunAt: marker, updatedAt: marker, lockedAt: null },
          $unset: { owner: '' },
        },
      );
      await seenMore(log, monque, claimRead, 3);
      expect(runs).toHaveLength(1);
      // Never claimed (and given back) meanwhile: the document is exactly as the other instance left it.
      expect(await jobsOf(log.db, monque).findOne({ _id: job._id })).toMatchObject({
        status: JobStatus.PENDING,
        updatedAt: marker,
      });

      // Once the run has settled, the job is claimed as any due job.
      const second = nextEvent(monque, 'job:complete');
      release.resolve();
      await second;
      expect(runs).toHaveLength(2);
      await monque.stop();
    });
  });
});
