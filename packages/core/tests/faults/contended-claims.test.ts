/**
 * A batch claim that another instance partly beat: the claimer reads back by the claim's token
 * which jobs it got. When that read fails, the token is kept until its jobs are known or given
 * back, so they run at once (uncharged) instead of staying `processing` until `lockTimeout`.
 */
import { freshCollectionName, type WireCommand, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/index.js';
import { faultyMonque, isDueRead } from '../helpers/faulty.js';
import { jobsOf, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** The read-back of a claim's jobs by its token. */
const isClaimedRead = (command: WireCommand): boolean =>
  command.name === 'find' && (command.body.filter as { claimToken?: unknown } | undefined)?.claimToken !== undefined;

describe('a contended batch claim', () => {
  it('whose read-back fails: the jobs it took run at once, uncharged, even with maxRetries 1', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), {
      maxRetries: 1,
      lockTimeout: 30 * 60_000,
    });
    const runs = new Map<string, number>();
    monque.worker(
      'contended',
      (job) => {
        runs.set(job._id.toHexString(), (runs.get(job._id.toHexString()) ?? 0) + 1);
      },
      { concurrency: 3 },
    );
    const [taken, ...ours] = await monque.enqueueMany(
      Array.from({ length: 3 }, (_, n) => ({ name: 'contended', data: { n } })),
    );
    // The candidates' read is answered late; meanwhile another instance takes one of them, so the
    // claim takes two of three and must read back which, and that read is dropped.
    const read = proxy.delayReplies(isDueRead, 500);
    const readBack = proxy.dropRequest(isClaimedRead);
    await monque.start();
    await read.firstHit;
    await jobsOf(db, monque).updateOne(
      { _id: taken?._id },
      { $set: { status: JobStatus.PROCESSING, owner: 'other', claimToken: 'other', lockedAt: new Date() } },
    );
    await readBack.firstHit;
    await waitUntil(
      async () => (await jobsOf(db, monque).countDocuments({ status: JobStatus.COMPLETED })) === 2,
      'the two jobs the claim took to complete',
      { timeoutMs: 5_000 },
    );
    await monque.stop();
    for (const job of ours) {
      expect(runs.get(job._id.toHexString())).toBe(1);
      expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
        status: JobStatus.COMPLETED,
        failCount: 0,
        attempts: 1,
      });
    }
  });
});
