/**
 * The runner's answers when a finished run cannot be stored as usual: the job was taken away
 * (its failure is not written, `JobLockLostError`), or the database is gone for a while (the
 * outcome is written once it is back).
 */
import { freshCollectionName, getTestUri } from '@monque/test-backend';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { type Job, JobLockLostError, JobStatus } from '../src/index.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb } from './helpers/monque.js';
import { startPausableProxy } from './helpers/pausable-proxy.js';

const getDb = useTestDb(import.meta.url);

describe('runner', () => {
  it('does not store the failure of a run whose job was recovered meanwhile: job:error JobLockLostError', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const release = deferred();
    monque.worker('charge', async () => {
      await release.promise;
      throw new Error('card declined');
    });
    await monque.start();
    const job = await monque.enqueue('charge', {});
    await nextEvent(monque, 'job:start');
    // What a stale recovery by another instance does: back to pending, claim cleared.
    await jobsOf(db, monque).updateOne(
      { _id: job._id },
      {
        $set: { status: JobStatus.PENDING, claimToken: null, lockedAt: null, nextRunAt: new Date(Date.now() + 60_000) },
      },
    );
    const failures: Job[] = [];
    monque.on('job:fail', ({ job: failed }) => failures.push(failed));
    const reported = nextEvent(monque, 'job:error', ({ error }) => error instanceof JobLockLostError);

    release.resolve();
    const { error, job: reportedJob } = await reported;

    expect((error as JobLockLostError).jobId).toBe(job._id.toHexString());
    expect(reportedJob?._id.equals(job._id)).toBe(true);
    expect(failures).toEqual([]);
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.PENDING,
      failCount: 0,
    });
    await monque.stop();
  });

  it('keeps a result through a database outage and stores it once the database is back', async () => {
    const db = await getDb();
    const link = await startPausableProxy(getTestUri());
    const client = await new MongoClient(link.uri, { serverSelectionTimeoutMS: 200 }).connect();
    try {
      const monque = createMonque(client.db(db.databaseName), { collectionName: freshCollectionName(db) });
      const release = deferred();
      monque.worker('upload', async () => {
        await release.promise;
        return { uploaded: 3 };
      });
      await monque.start();
      const job = await monque.enqueue('upload', {});
      await nextEvent(monque, 'job:start');
      const writeFailed = nextEvent(monque, 'job:error');
      const completed = nextEvent(monque, 'job:complete');

      link.pause();
      release.resolve();
      await writeFailed;
      await new Promise((resolve) => setTimeout(resolve, 500));
      link.resume();
      const { job: done, result } = await completed;

      expect(done._id.equals(job._id)).toBe(true);
      expect(result).toEqual({ uploaded: 3 });
      expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
        status: JobStatus.COMPLETED,
        result: { uploaded: 3 },
      });
      await monque.stop();
    } finally {
      await link.close();
      await client.close(true).catch(() => {});
    }
  });
});
