/**
 * Batch claiming: one poll takes as many due jobs as there are free slots (across workers) and
 * never more than a worker's concurrency; due jobs start in `nextRunAt` order; two instances
 * racing batch claims hand each job to exactly one handler.
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import type { Job } from '../src/index.js';
import { openCommandLog } from './helpers/command-log.js';
import { createMonque, deferred, jobsOf, useTestDb } from './helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** Counts handlers of one name running at once, and the most seen. */
function concurrencyProbe() {
  const probe = { running: 0, max: 0, started: 0 };
  return {
    probe,
    async run(release: Promise<void>) {
      probe.running += 1;
      probe.started += 1;
      probe.max = Math.max(probe.max, probe.running);
      await release;
      probe.running -= 1;
    },
  };
}

describe('batch claim', () => {
  it('claims up to the free slots of two workers in one poll, never more than each concurrency', async () => {
    const db = await getDb();
    const log = await openCommandLog(db.databaseName);
    try {
      const monque = createMonque(log.db, { collectionName: freshCollectionName(db) });
      await monque.enqueueMany([
        ...Array.from({ length: 6 }, (_, i) => ({ name: 'a', data: { i } })),
        ...Array.from({ length: 6 }, (_, i) => ({ name: 'b', data: { i } })),
      ]);
      const release = deferred();
      const a = concurrencyProbe();
      const b = concurrencyProbe();
      monque.worker('a', () => a.run(release.promise), { concurrency: 3 });
      monque.worker('b', () => b.run(release.promise), { concurrency: 2 });
      log.clear();
      let started = 0;
      const fiveStarted = new Promise<void>((resolve) => {
        monque.on('job:start', () => {
          started += 1;
          if (started === 5) resolve();
        });
      });
      await monque.start();
      await fiveStarted;
      const claimWrites = log.commands.filter((event) => {
        const update =
          event.commandName === 'update'
            ? (event.command.updates as { u: { $set?: { status?: string } } }[])[0]?.u
            : event.commandName === 'findAndModify'
              ? (event.command.update as { $set?: { status?: string } })
              : undefined;
        return update?.$set?.status === 'processing';
      });
      expect(claimWrites, 'one claim write for both workers').toHaveLength(1);
      expect([a.probe.started, b.probe.started]).toEqual([3, 2]);

      const allDone = new Promise<void>((resolve) => {
        let completed = 0;
        monque.on('job:complete', () => {
          completed += 1;
          if (completed === 12) resolve();
        });
      });
      release.resolve();
      await allDone;
      expect([a.probe.max, b.probe.max]).toEqual([3, 2]);
      expect([a.probe.started, b.probe.started]).toEqual([6, 6]);
      await monque.stop();
    } finally {
      await log.close();
    }
  });

  it('starts due jobs in nextRunAt order', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const now = Date.now();
    const offsets = [7, 2, 9, 1, 5, 8, 3, 6, 4];
    await monque.enqueueMany(
      offsets.map((offset) => ({
        name: 'ordered',
        data: { offset },
        options: { runAt: new Date(now - offset * 1000) },
      })),
    );
    const order: number[] = [];
    monque.worker<{ offset: number }>(
      'ordered',
      (job) => {
        order.push(job.data.offset);
      },
      { concurrency: 3 },
    );
    const allDone = new Promise<void>((resolve) => {
      let completed = 0;
      monque.on('job:complete', () => {
        completed += 1;
        if (completed === offsets.length) resolve();
      });
    });
    await monque.start();
    await allDone;
    // Oldest due first: the largest offset into the past runs first.
    expect(order).toEqual([...offsets].sort((x, y) => y - x));
    await monque.stop();
  });

  it('two instances racing batch claims hand each of 300 jobs to exactly one handler', async () => {
    const db = await getDb();
    const first = createMonque(db);
    const second = createMonque(db, { collectionName: first.options.collectionName });
    const jobs = await first.enqueueMany(Array.from({ length: 300 }, (_, i) => ({ name: 'race', data: { i } })));
    const runs = new Map<string, number>();
    let completed = 0;
    const allDone = deferred();
    for (const monque of [first, second]) {
      monque.worker(
        'race',
        async (job: Job) => {
          const id = job._id.toHexString();
          runs.set(id, (runs.get(id) ?? 0) + 1);
          await new Promise((resolve) => setImmediate(resolve));
        },
        { concurrency: 20 },
      );
      monque.on('job:complete', () => {
        completed += 1;
        if (completed === jobs.length) allDone.resolve();
      });
    }
    const errors: Error[] = [];
    const startedBy = [0, 0];
    [first, second].forEach((monque, index) => {
      monque.on('job:error', ({ error }) => errors.push(error));
      monque.on('job:start', () => {
        startedBy[index] = (startedBy[index] ?? 0) + 1;
      });
    });
    await Promise.all([first.start(), second.start()]);
    await allDone.promise;
    await Promise.all([first.stop(), second.stop()]);
    expect(runs.size).toBe(300);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(errors).toEqual([]);
    expect(await jobsOf(db, first).countDocuments({ status: 'completed' })).toBe(300);
    // Both instances took part (otherwise nothing raced).
    expect(
      startedBy.every((count) => count > 0),
      `jobs started per instance: ${startedBy.join(', ')}`,
    ).toBe(true);
  });

  it('keeps a backlogged worker busy while another worker of the instance has nothing to do', async () => {
    const db = await getDb();
    // A long poll interval: only "a freed slot of a backlogged worker claims again" can finish in time.
    const monque = createMonque(db, { pollInterval: 10_000 });
    const done: Job[] = [];
    monque.worker(
      'busy',
      (job) => {
        done.push(job);
      },
      { concurrency: 2 },
    );
    monque.worker('idle', () => {}, { concurrency: 2 });
    await monque.enqueueMany(Array.from({ length: 10 }, (_, n) => ({ name: 'busy', data: { n } })));
    const began = Date.now();
    await monque.start();
    await waitUntil(() => done.length === 10, '10 jobs of the busy worker', { timeoutMs: 8_000 });
    expect(Date.now() - began).toBeLessThan(8_000);
    await monque.stop();
  });
});
