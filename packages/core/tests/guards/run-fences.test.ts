/**
 * The fences of a run, seen from outside: a run writes its outcome only under its own claim token
 * (another claim of the same instance id, still `processing`, keeps the job), and the heartbeat
 * renews a lock only for its owner (a job now recorded for another owner, under the same claim
 * token, is reported lost and its signal aborts). Each test changes exactly one field, so it fails
 * when that one term of the filter is missing.
 */
import { describe, expect, it } from 'vitest';
import { type Job, JobLockLostError, JobStatus } from '../../src/index.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

describe('outcome fence', () => {
  it('claim-token guard: a run whose job was claimed again under another token (same instance id, still processing) cannot write its outcome', async () => {
    const db = await getDb();
    // No heartbeat during the test: the outcome write alone must notice.
    const monque = createMonque(db, { instanceId: 'me', lockTimeout: 60_000, heartbeatInterval: 30_000 });
    const release = deferred();
    monque.worker('report', () => release.promise);
    await monque.start();
    const job = await monque.enqueue('report', {});
    await nextEvent(monque, 'job:start');
    // A restarted process with the same instance id recovered and claimed it again.
    const reclaimed = { claimToken: 'a-later-claim', lockedAt: new Date(), owner: 'me' };
    await jobsOf(db, monque).updateOne({ _id: job._id }, { $set: reclaimed });
    const completions: Job[] = [];
    monque.on('job:complete', ({ job: done }) => completions.push(done));
    const lost = nextEvent(monque, 'job:error');
    release.resolve();
    const { error, job: reported } = await lost;
    expect(error).toBeInstanceOf(JobLockLostError);
    expect(reported?._id).toEqual(job._id);
    expect(completions).toEqual([]);
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.PROCESSING,
      ...reclaimed,
      failCount: 0,
    });
    await monque.stop();
  });
});

describe('lock renewal', () => {
  it('owner guard: a run whose job is now recorded for another owner (same claim token) is not renewed; its signal aborts with JobLockLostError', async () => {
    const db = await getDb();
    const monque = createMonque(db, { instanceId: 'me', lockTimeout: 10_000, heartbeatInterval: 20 });
    const aborted = deferred<unknown>();
    monque.worker(
      'long',
      (_job, { signal }) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted.resolve(signal.reason);
            resolve();
          });
        }),
    );
    await monque.start();
    const job = await monque.enqueue('long', {});
    await nextEvent(monque, 'job:start');
    const foreignLock = new Date(Date.now() - 86_400_000);
    await jobsOf(db, monque).updateOne({ _id: job._id }, { $set: { owner: 'someone-else', lockedAt: foreignLock } });
    expect(await within(aborted.promise, 5_000, 'the run to be told it lost its lock')).toBeInstanceOf(
      JobLockLostError,
    );
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.PROCESSING,
      owner: 'someone-else',
      lockedAt: foreignLock,
    });
    await monque.stop();
  });
});

/** `promise`, or a rejection naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
