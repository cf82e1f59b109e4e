/**
 * Outcome writes that go through `bulkWrite` during an outage. The driver wraps a bulk write's
 * network errors and server-selection timeouts in a `MongoBulkWriteError`: they are still the
 * network's fault, so the batch is retried once the database is back, never taken for a poison
 * outcome (results dropped, failures left `processing` until `lockTimeout`).
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { type Job, JobStatus } from '../../src/index.js';
import { faultyMonque } from '../helpers/faulty.js';
import { deferred, jobsOf, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

describe('outcome writes through bulkWrite during a partition', () => {
  it('a batch of results and failures is retried until the database is back: every result stored, every failure written and reported', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), {
      lockTimeout: 20_000,
      heartbeatInterval: 500,
      maxRetries: 1,
    });
    const release = deferred();
    let started = 0;
    monque.worker(
      'mixed',
      async (job) => {
        started += 1;
        await release.promise;
        const { n } = job.data as { n: number };
        if (n % 2 === 1) throw new Error(`run ${n} failed`);
        return { n };
      },
      { concurrency: 4 },
    );
    const failed: Job[] = [];
    monque.on('job:fail', ({ job }) => failed.push(job));
    const jobs = await monque.enqueueMany(Array.from({ length: 4 }, (_, n) => ({ name: 'mixed', data: { n } })));
    await monque.start();
    await waitUntil(() => started === 4, 'the four runs to start');
    // Every connection is reset and new ones refused: the batch's bulkWrite fails with a
    // server-selection timeout (1 s here), which the driver wraps in a MongoBulkWriteError.
    proxy.partition({ mode: 'reset' });
    release.resolve();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    proxy.heal();
    await waitUntil(
      async () => (await jobsOf(db, monque).countDocuments({ status: JobStatus.PROCESSING })) === 0,
      'no job left processing',
      { timeoutMs: 15_000 },
    );
    await monque.stop();
    for (const job of jobs) {
      const { n } = job.data as { n: number };
      const stored = await jobsOf(db, monque).findOne({ _id: job._id });
      if (n % 2 === 0) expect(stored).toMatchObject({ status: JobStatus.COMPLETED, result: { n } });
      else expect(stored).toMatchObject({ status: JobStatus.FAILED, failCount: 1, failReason: `run ${n} failed` });
    }
    expect(failed.map((job) => (job.data as { n: number }).n).sort()).toEqual([1, 3]);
  }, 30_000);
});
