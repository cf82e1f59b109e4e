/**
 * The store's fenced outcome writes, checked directly against the database: a write lands only
 * while the job is still held as the writer saw it; a write fenced out is reported `lost` (someone
 * else holds the job) or `changed` (still ours, but cancelled or rescheduled meanwhile).
 */
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/index.js';
import type { JobDocument } from '../../src/store/job-document.js';
import type { JobOutcome, Transition } from '../../src/store/outcome-store.js';
import { useTestDb } from '../helpers/monque.js';
import { claimedJobs, freshStores } from './stores.js';

const getDb = useTestDb(import.meta.url);
const NOW = new Date('2030-01-01T00:00:00Z');

function fenced(job: JobDocument, transition: Transition): JobOutcome {
  return { job, transition, fence: { claimToken: job.claimToken as string } };
}

const completed = (at = NOW): Transition => ({ status: JobStatus.COMPLETED, at, completedAt: at, finishedAt: at });

describe('OutcomeStore.apply', () => {
  it('completes jobs of one claim together and reports the one another claim took over', async () => {
    const stores = await freshStores(await getDb());
    const { claimed } = await claimedJobs(stores, 3, NOW);
    const [kept, takenOver, alsoKept] = claimed as [JobDocument, JobDocument, JobDocument];
    await stores.collection.updateOne({ _id: takenOver._id }, { $set: { claimToken: 'another-claim' } });

    const results = await stores.outcomes.apply([kept, takenOver, alsoKept].map((job) => fenced(job, completed())));

    expect(results.map((result) => result.kind)).toEqual(['written', 'lost', 'written']);
    expect((await stores.locks.findById(kept._id))?.status).toBe(JobStatus.COMPLETED);
    expect((await stores.locks.findById(takenOver._id))?.status).toBe(JobStatus.PROCESSING);
  });

  it('fences on the claim token alone: another claim of the same owner, still processing, keeps the job', async () => {
    const stores = await freshStores(await getDb());
    const { claimed } = await claimedJobs(stores, 2, NOW);
    const [job] = claimed as [JobDocument];
    await stores.collection.updateOne({ _id: job._id }, { $set: { claimToken: 'a-later-claim-of-the-same-instance' } });
    const [result] = await stores.outcomes.apply([
      fenced(job, { status: JobStatus.PENDING, at: NOW, nextRunAt: NOW, failCount: 1, failReason: 'boom' }),
    ]);
    expect(result?.kind).toBe('lost');
    expect(await stores.locks.findById(job._id)).toMatchObject({ status: JobStatus.PROCESSING, failCount: 0 });
  });

  it('fences a recovery on the lock it saw: a lock renewed in between keeps the job', async () => {
    const stores = await freshStores(await getDb());
    const { claimed, token } = await claimedJobs(stores, 2, NOW);
    const [stale, renewed] = claimed as [JobDocument, JobDocument];
    await stores.locks.renew('instance-a', [{ id: renewed._id, token }], new Date(NOW.getTime() + 1_000));
    const later = new Date(NOW.getTime() + 5_000);
    const results = await stores.outcomes.apply(
      [stale, renewed].map((job) => ({
        job,
        transition: { status: JobStatus.PENDING, at: later, nextRunAt: later, failCount: 1, clearClaim: true },
        fence: { claimToken: job.claimToken ?? null, lockedAt: job.lockedAt as Date },
      })),
    );
    expect(results.map((result) => result.kind)).toEqual(['written', 'lost']);
    expect(await stores.locks.findById(stale._id)).toMatchObject({ status: JobStatus.PENDING, claimToken: null });
    expect(await stores.locks.findById(renewed._id)).toMatchObject({ status: JobStatus.PROCESSING });
  });

  it('fences a recovery on the claim token too: the same lock time under another claim keeps the job', async () => {
    const stores = await freshStores(await getDb());
    const { claimed } = await claimedJobs(stores, 1, NOW);
    const [job] = claimed as [JobDocument];
    await stores.collection.updateOne({ _id: job._id }, { $set: { claimToken: 'reclaimed-at-the-same-ms' } });
    const [result] = await stores.outcomes.apply([
      {
        job,
        transition: { status: JobStatus.PENDING, at: NOW, nextRunAt: NOW, failCount: 1, clearClaim: true },
        fence: { claimToken: job.claimToken ?? null, lockedAt: job.lockedAt as Date },
      },
    ]);
    expect(result?.kind).toBe('lost');
  });

  it('reports `changed` with the stored job when a cancellation was requested meanwhile', async () => {
    const stores = await freshStores(await getDb());
    const { claimed } = await claimedJobs(stores, 2, NOW);
    const [cancelled, plain] = claimed as [JobDocument, JobDocument];
    await stores.collection.updateOne(
      { _id: cancelled._id },
      { $set: { cancelRequestedAt: NOW, cancelReason: 'ops' } },
    );
    const results = await stores.outcomes.apply([cancelled, plain].map((job) => fenced(job, completed())));
    expect(results[0]).toMatchObject({ kind: 'changed', current: { cancelReason: 'ops' } });
    expect(results[1]?.kind).toBe('written');
    expect((await stores.locks.findById(cancelled._id))?.status).toBe(JobStatus.PROCESSING);
    const [cancelWrite] = await stores.outcomes.apply([
      fenced(cancelled, { status: JobStatus.CANCELLED, at: NOW, finishedAt: NOW }),
    ]);
    expect(cancelWrite?.kind).toBe('written');
    expect((await stores.locks.findById(cancelled._id))?.status).toBe(JobStatus.CANCELLED);
  });

  it("fences a recurring job's write on the schedule it ran with: a cron changed meanwhile is `changed`", async () => {
    const stores = await freshStores(await getDb());
    const { claimed } = await claimedJobs(stores, 1, NOW);
    const [job] = claimed as [JobDocument];
    await stores.collection.updateOne({ _id: job._id }, { $set: { repeatInterval: '0 * * * *', timezone: 'UTC' } });
    const asClaimed = { ...job, repeatInterval: '0 * * * *', timezone: 'UTC' };
    await stores.collection.updateOne({ _id: job._id }, { $set: { repeatInterval: '30 * * * *' } });
    const [result] = await stores.outcomes.apply([
      fenced(asClaimed, { status: JobStatus.PENDING, at: NOW, nextRunAt: new Date(NOW.getTime() + 3_600_000) }),
    ]);
    expect(result).toMatchObject({ kind: 'changed', current: { repeatInterval: '30 * * * *' } });
  });

  it('recognises a retried write whose first reply was lost as written', async () => {
    const stores = await freshStores(await getDb());
    const { claimed } = await claimedJobs(stores, 2, NOW);
    const outcomes = claimed.map((job) => fenced(job, completed()));
    expect((await stores.outcomes.apply(outcomes)).map((r) => r.kind)).toEqual(['written', 'written']);
    expect((await stores.outcomes.apply(outcomes)).map((r) => r.kind)).toEqual(['written', 'written']);
    const other = fenced(claimed[0] as JobDocument, completed(new Date(NOW.getTime() + 1)));
    expect((await stores.outcomes.apply([other]))[0]?.kind).toBe('lost');
  });

  it('reports a job that was deleted while it ran', async () => {
    const stores = await freshStores(await getDb());
    const { claimed } = await claimedJobs(stores, 2, NOW);
    const [deleted] = claimed as [JobDocument];
    await stores.collection.deleteOne({ _id: deleted._id });
    const [result] = await stores.outcomes.apply([
      fenced(deleted, { status: JobStatus.FAILED, at: NOW, failCount: 1, failReason: 'boom' }),
    ]);
    expect(result?.kind).toBe('lost');
  });

  it('isolates a poison outcome: the others of its batch are written, it alone gets the error', async () => {
    const stores = await freshStores(await getDb());
    const { claimed } = await claimedJobs(stores, 3, NOW);
    const huge = { value: 'x'.repeat(17 * 1024 * 1024) };
    const outcomes = claimed.map((job, index) =>
      fenced(job, { ...completed(), ...(index === 1 ? { result: huge } : { result: { value: index } }) }),
    );
    const results = await stores.outcomes.apply(outcomes);
    expect(results.map((result) => result.kind)).toEqual(['written', 'error', 'written']);
    expect((await stores.locks.findById((claimed[0] as JobDocument)._id))?.result).toBe(0);
    expect((await stores.locks.findById((claimed[2] as JobDocument)._id))?.result).toBe(2);
  });
});
