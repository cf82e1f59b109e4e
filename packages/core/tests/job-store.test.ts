/**
 * The store's fenced outcome writes, checked directly against the database: a write lands only
 * while the job is still held as the writer saw it, and the store reports exactly the jobs whose
 * write was fenced out.
 */
import { freshCollectionName } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../src/index.js';
import { type JobDocument, JobStore } from '../src/store/job-store.js';
import { useTestDb } from './helpers/monque.js';

const getDb = useTestDb(import.meta.url);

async function storeWithClaimedJobs(count: number) {
  const db = await getDb();
  const store = new JobStore(db, freshCollectionName(db));
  await store.ensureIndexes();
  const now = new Date();
  await store.insertMany(
    Array.from({ length: count }, (_, n) => ({ name: 'task', data: { n }, nextRunAt: now })),
    now,
  );
  const claimed = await store.claim([{ name: 'task', limit: count }], 'instance-a', now);
  expect(claimed).toHaveLength(count);
  return { store, claimed, now };
}

describe('JobStore.applyOutcomes', () => {
  it('completes jobs of one claim together and reports those another claim took over', async () => {
    const { store, claimed, now } = await storeWithClaimedJobs(3);
    const [kept, takenOver, alsoKept] = claimed as [JobDocument, JobDocument, JobDocument];
    // Recovered and claimed again by someone else in the meantime.
    await store.collection.updateOne({ _id: takenOver._id }, { $set: { claimToken: 'another-claim' } });

    const lost = await store.applyOutcomes(
      [kept, takenOver, alsoKept].map((job) => ({
        job,
        transition: { status: JobStatus.COMPLETED, completedAt: now },
        fence: { claimToken: job.claimToken as string },
      })),
      now,
    );

    expect(lost.map((id) => id.toHexString())).toEqual([takenOver._id.toHexString()]);
    expect((await store.findById(kept._id))?.status).toBe(JobStatus.COMPLETED);
    expect((await store.findById(alsoKept._id))?.status).toBe(JobStatus.COMPLETED);
    expect((await store.findById(takenOver._id))?.status).toBe(JobStatus.PROCESSING);
  });

  it('writes retries individually and reports the one whose claim was cleared by a recovery', async () => {
    const { store, claimed, now } = await storeWithClaimedJobs(2);
    const [kept, recovered] = claimed as [JobDocument, JobDocument];
    await store.collection.updateOne(
      { _id: recovered._id },
      { $set: { status: JobStatus.PENDING, claimToken: null, lockedAt: null } },
    );
    const retryAt = new Date(now.getTime() + 60_000);

    const lost = await store.applyOutcomes(
      [kept, recovered].map((job) => ({
        job,
        transition: { status: JobStatus.PENDING, nextRunAt: retryAt, failCount: 1, failReason: 'boom' },
        fence: { claimToken: job.claimToken as string },
      })),
      now,
    );

    expect(lost.map((id) => id.toHexString())).toEqual([recovered._id.toHexString()]);
    expect(await store.findById(kept._id)).toMatchObject({
      status: JobStatus.PENDING,
      failCount: 1,
      failReason: 'boom',
    });
    expect(await store.findById(recovered._id)).toMatchObject({ status: JobStatus.PENDING, failCount: 0 });
  });

  it('fences a recovery on the lock it saw: a lock renewed in between (heartbeat) keeps the job', async () => {
    const { store, claimed, now } = await storeWithClaimedJobs(2);
    const [stale, renewed] = claimed as [JobDocument, JobDocument];
    const later = new Date(now.getTime() + 5_000);
    await store.renewLocks('instance-a', [renewed._id], new Date(now.getTime() + 1_000));

    const lost = await store.applyOutcomes(
      [stale, renewed].map((job) => ({
        job,
        transition: {
          status: JobStatus.PENDING,
          nextRunAt: later,
          failCount: 1,
          failReason: 'lock expired',
          clearClaim: true,
        },
        fence: { lockedAt: job.lockedAt as Date },
      })),
      later,
    );

    expect(lost.map((id) => id.toHexString())).toEqual([renewed._id.toHexString()]);
    expect(await store.findById(stale._id)).toMatchObject({ status: JobStatus.PENDING, claimToken: null });
    expect(await store.findById(renewed._id)).toMatchObject({ status: JobStatus.PROCESSING, owner: 'instance-a' });
  });

  it('reports a job that was deleted while it ran', async () => {
    const { store, claimed, now } = await storeWithClaimedJobs(2);
    const [deleted] = claimed as [JobDocument];
    await store.collection.deleteOne({ _id: deleted._id });
    const lost = await store.applyOutcomes(
      [
        {
          job: deleted,
          transition: { status: JobStatus.FAILED, failCount: 1, failReason: 'boom' },
          fence: { claimToken: deleted.claimToken as string },
        },
      ],
      now,
    );
    expect(lost.map((id) => id.toHexString())).toEqual([deleted._id.toHexString()]);
  });
});
