/**
 * `priority`: among due jobs of one name, higher runs first, then the longest due; 0 by default;
 * negative priorities run after the default. Checked under batch claiming (many jobs, one
 * instance, concurrency > 1: reads plus one `updateMany` per claim) and on the single-slot path
 * (concurrency 1: one sorted `findAndModify` per claim), with the claim commands counted to prove
 * which path ran.
 */
import { freshCollectionName } from '@monque/test-backend';
import type { CommandStartedEvent } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { type EnqueueManyItem, type Job, JobStatus, type Monque } from '../../src/index.js';
import { openCommandLog } from '../helpers/command-log.js';
import { createMonque, deferred, jobsOf, useTestDb, waitForStatus } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

interface Ranked {
  label: string;
  priority?: number;
  /** Seconds the job has been due. */
  dueFor: number;
}

/**
 * Jobs listed in the order they must run: priority descending (none = 0), then due longest first.
 * They are enqueued shuffled, so insertion order cannot produce the expected order by accident.
 */
const EXPECTED_ORDER: readonly Ranked[] = [
  { label: 'p10-old', priority: 10, dueFor: 50 },
  { label: 'p10-new', priority: 10, dueFor: 5 },
  { label: 'p3-old', priority: 3, dueFor: 40 },
  { label: 'p3-mid', priority: 3, dueFor: 20 },
  { label: 'p3-new', priority: 3, dueFor: 1 },
  { label: 'p1', priority: 1, dueFor: 2 },
  { label: 'default-oldest', dueFor: 90 },
  { label: 'p0-explicit', priority: 0, dueFor: 60 },
  { label: 'default-new', dueFor: 3 },
  { label: 'minus1-old', priority: -1, dueFor: 99 },
  { label: 'minus1-new', priority: -1, dueFor: 4 },
  { label: 'minus50', priority: -50, dueFor: 100 },
];

/** A fixed permutation of `EXPECTED_ORDER`, for enqueueing. */
const SHUFFLE = [7, 2, 11, 0, 9, 4, 1, 10, 5, 3, 8, 6];

/** The claim writes among `commands`: what moved jobs to `processing`, by command. */
function claimWrites(commands: readonly CommandStartedEvent[]): { batch: number; single: number } {
  let batch = 0;
  let single = 0;
  for (const event of commands) {
    if (event.commandName === 'update') {
      const updates = event.command.updates as { u: { $set?: { status?: string } }; multi?: boolean }[];
      if (updates.some((update) => update.u.$set?.status === JobStatus.PROCESSING && update.multi)) batch += 1;
    }
    if (event.commandName === 'findAndModify') {
      if ((event.command.update as { $set?: { status?: string } }).$set?.status === JobStatus.PROCESSING) single += 1;
    }
  }
  return { batch, single };
}

/** Enqueues the ranked jobs (shuffled), plus a higher-priority job of the same name that is not due yet. */
async function enqueueRanked(monque: Monque, name: string): Promise<Job> {
  const now = Date.now();
  const items: EnqueueManyItem[] = SHUFFLE.map((index) => {
    const ranked = EXPECTED_ORDER[index] as Ranked;
    const options = {
      runAt: new Date(now - ranked.dueFor * 1000),
      ...(ranked.priority === undefined ? {} : { priority: ranked.priority }),
    };
    return { name, data: { label: ranked.label }, options };
  });
  await monque.enqueueMany(items);
  return monque.enqueue(name, { label: 'not-due' }, { priority: 1000, runAt: new Date(now + 3_600_000) });
}

/** Runs every ranked job with `concurrency` and returns the labels in start order. */
async function runRanked(concurrency: number) {
  const db = await getDb();
  const log = await openCommandLog(db.databaseName);
  try {
    const monque = createMonque(log.db, { collectionName: freshCollectionName(db) });
    const notDue = await enqueueRanked(monque, 'ranked');
    const started: string[] = [];
    const allDone = deferred();
    monque.worker<{ label: string }>(
      'ranked',
      async (job) => {
        started.push(job.data.label);
        // Let the other slots fill before finishing, so claims take several jobs at once.
        await new Promise((resolve) => setTimeout(resolve, 5));
      },
      { concurrency },
    );
    let completed = 0;
    monque.on('job:complete', () => {
      completed += 1;
      if (completed === EXPECTED_ORDER.length) allDone.resolve();
    });
    log.clear();
    await monque.start();
    await allDone.promise;
    await monque.stop();
    const claims = claimWrites(log.commands);
    const stored = await jobsOf(db, monque).findOne({ _id: notDue._id });
    return { started, claims, notDue: stored };
  } finally {
    await log.close();
  }
}

describe('priority', () => {
  it('under batch claiming (concurrency 4, one instance): higher first, then the longest due; negatives last', async () => {
    const { started, claims, notDue } = await runRanked(4);
    expect(started).toEqual(EXPECTED_ORDER.map((ranked) => ranked.label));
    expect(claims.batch, 'at least one claim took several jobs in one updateMany').toBeGreaterThan(0);
    // A higher priority does not make a job due early.
    expect(notDue?.status).toBe(JobStatus.PENDING);
  });

  it('on the single-slot path (concurrency 1): the same order, one sorted findAndModify per job', async () => {
    const { started, claims, notDue } = await runRanked(1);
    expect(started).toEqual(EXPECTED_ORDER.map((ranked) => ranked.label));
    expect(claims.batch).toBe(0);
    // One per job, plus the claims that found nothing once every job had run.
    expect(claims.single).toBeGreaterThanOrEqual(EXPECTED_ORDER.length);
    expect(notDue?.status).toBe(JobStatus.PENDING);
  });

  it('is stored on the job: 0 by default, the given integer otherwise (enqueue, enqueueMany, schedule)', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const plain = await monque.enqueue('a', {});
    const high = await monque.enqueue('a', {}, { priority: 7 });
    const [low, none] = await monque.enqueueMany([
      { name: 'a', data: {}, options: { priority: -3 } },
      { name: 'a', data: {} },
    ]);
    const recurring = await monque.schedule('0 * * * *', 'hourly', {}, { priority: 2 });
    expect([plain.priority, high.priority, low?.priority, none?.priority, recurring.priority]).toEqual([
      0, 7, -3, 0, 2,
    ]);
    const stored = await jobsOf(db, monque)
      .find({}, { sort: { createdAt: 1, _id: 1 } })
      .toArray();
    expect(stored.map((job) => job.priority)).toEqual([0, 7, -3, 0, 2]);
  });

  it('only orders jobs of one name: a low-priority job of another name is not held back', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const release = deferred();
    const started: string[] = [];
    monque.worker('urgent', async () => {
      started.push('urgent');
      await release.promise;
    });
    monque.worker('chore', () => {
      started.push('chore');
    });
    await monque.enqueue('urgent', {}, { priority: 100 });
    const chore = await monque.enqueue('chore', {}, { priority: -100 });
    await monque.start();
    // The chore completes while the urgent job still runs: priorities of different names never compete.
    await waitForStatus(db, monque, chore._id, JobStatus.COMPLETED);
    expect(started).toContain('chore');
    release.resolve();
    await monque.stop();
  });
});
