import { waitUntil } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { JobStatus, type Monque } from '../src/index.js';
import { createMonque, jobsOf, useTestDb } from './helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** Run counts per job id, and which instance ran each job. */
interface RunLog {
  readonly runsById: Map<string, number>;
  readonly runsByInstance: Map<string, number>;
  total(): number;
}

function newRunLog(): RunLog {
  const runsById = new Map<string, number>();
  const runsByInstance = new Map<string, number>();
  return {
    runsById,
    runsByInstance,
    total: () => [...runsById.values()].reduce((sum, n) => sum + n, 0),
  };
}

/** Registers on `monque` a worker that records every run in `log`, holding each job `holdMs`. */
function recordRuns(monque: Monque, name: string, log: RunLog, concurrency: number, holdMs: number): void {
  monque.worker(
    name,
    async (job) => {
      const id = job._id.toHexString();
      log.runsById.set(id, (log.runsById.get(id) ?? 0) + 1);
      log.runsByInstance.set(monque.instanceId, (log.runsByInstance.get(monque.instanceId) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, holdMs));
    },
    { concurrency },
  );
}

/** Enqueues `count` jobs named `name` in batches, returning their ids. */
async function enqueueJobs(monque: Monque, name: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; offset < count; offset += 100) {
    const batch = Array.from({ length: Math.min(100, count - offset) }, (_, i) => ({ name, data: { n: offset + i } }));
    ids.push(...(await monque.enqueueMany(batch)).map((job) => job._id.toHexString()));
  }
  return ids;
}

async function expectAllCompletedOnce(db: Db, monque: Monque, ids: string[], log: RunLog): Promise<void> {
  const jobs = jobsOf(db, monque);
  await waitUntil(
    async () => (await jobs.countDocuments({ status: JobStatus.COMPLETED })) === ids.length,
    `all ${ids.length} jobs to be completed`,
    { timeoutMs: 45_000, intervalMs: 50 },
  );
  expect(await jobs.countDocuments({ status: { $ne: JobStatus.COMPLETED } })).toBe(0);
  const twice = [...log.runsById.entries()].filter(([, runs]) => runs !== 1);
  expect(twice, 'jobs run more than once').toEqual([]);
  expect([...log.runsById.keys()].sort()).toEqual([...ids].sort());
  expect(log.total()).toBe(ids.length);
}

describe('atomic claiming', () => {
  it('two instances sharing a collection run each of 300 jobs exactly once', async () => {
    const db = await getDb();
    const first = createMonque(db, { pollInterval: 20 });
    const second = createMonque(db, { pollInterval: 20, collectionName: first.options.collectionName });
    const log = newRunLog();
    recordRuns(first, 'shared', log, 5, 2);
    recordRuns(second, 'shared', log, 5, 2);
    const ids = await enqueueJobs(first, 'shared', 300);
    await Promise.all([first.start(), second.start()]);
    await expectAllCompletedOnce(db, first, ids, log);
    // Both instances took part, so the claims really competed.
    expect(log.runsByInstance.get(first.instanceId) ?? 0).toBeGreaterThan(0);
    expect(log.runsByInstance.get(second.instanceId) ?? 0).toBeGreaterThan(0);
    await Promise.all([first.stop(), second.stop()]);
  }, 60_000);

  it('single-job claims (concurrency 1) across three instances never hand a job out twice', async () => {
    const db = await getDb();
    const first = createMonque(db, { pollInterval: 10 });
    const others = [1, 2].map(() =>
      createMonque(db, { pollInterval: 10, collectionName: first.options.collectionName }),
    );
    const instances = [first, ...others];
    const log = newRunLog();
    for (const monque of instances) recordRuns(monque, 'one-by-one', log, 1, 1);
    const ids = await enqueueJobs(first, 'one-by-one', 60);
    await Promise.all(instances.map((monque) => monque.start()));
    await expectAllCompletedOnce(db, first, ids, log);
    await Promise.all(instances.map((monque) => monque.stop()));
  });

  it('claims for several job names at once give each job one owner', async () => {
    const db = await getDb();
    const first = createMonque(db, { pollInterval: 20 });
    const second = createMonque(db, { pollInterval: 20, collectionName: first.options.collectionName });
    const log = newRunLog();
    for (const monque of [first, second]) {
      recordRuns(monque, 'alpha', log, 3, 1);
      recordRuns(monque, 'beta', log, 2, 1);
    }
    const ids = [...(await enqueueJobs(first, 'alpha', 40)), ...(await enqueueJobs(first, 'beta', 40))];
    await Promise.all([first.start(), second.start()]);
    await expectAllCompletedOnce(db, first, ids, log);
    await Promise.all([first.stop(), second.stop()]);
  });

  it('records the claiming instance as owner while the job runs', async () => {
    const db = await getDb();
    const monque = createMonque(db, { instanceId: 'owner-under-test' });
    let seenOwner: unknown;
    let seenLockedAt: unknown;
    monque.worker('owned', async (job) => {
      const doc = await jobsOf(db, monque).findOne({ _id: job._id });
      seenOwner = doc?.owner;
      seenLockedAt = doc?.lockedAt;
    });
    const [job] = await monque.enqueueMany([{ name: 'owned', data: null }]);
    await monque.start();
    await waitUntil(
      async () => (await jobsOf(db, monque).findOne({ _id: job?._id }))?.status === JobStatus.COMPLETED,
      'the job to complete',
    );
    expect(seenOwner).toBe('owner-under-test');
    expect(seenLockedAt).toBeInstanceOf(Date);
    await monque.stop();
  });
});
