/**
 * Dead letters that change hands, black-box: a job whose worker names a dead letter, failed for
 * good by another instance that does not register that worker (its stale recovery), still gets
 * its dead letter; a failed job whose dead-letter insert failed and that is retried before the
 * sweep wrote the letter gets it written by the retry (exactly one per failure for good).
 */
import { commandDocuments, freshCollectionName, type WireCommand, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobStatus, UnrecoverableError } from '../../src/index.js';
import { deferred } from '../helpers/events.js';
import { faultyMonque } from '../helpers/faulty.js';
import { useTestDb, waitForStatus } from '../helpers/monque.js';
import { createWorkflowMonque, NO_SWEEP, rawJobs, stored } from './helpers.js';

const getDb = useTestDb(import.meta.url);

/** The insert of a dead-letter job. */
const isDeadLetterInsert = (command: WireCommand): boolean =>
  command.name === 'insert' && commandDocuments(command, 'documents').some((doc) => 'deadLetterOf' in doc);

describe('dead letters that change hands', () => {
  it('a job recovered and failed for good by an instance without its worker gets the worker’s dead letter', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    // The owner renews its lock rarely; the other instance takes a lock unchanged for 300 ms as stale.
    // Every recovery charged (maxStalls 0, stamped by the owner's claim).
    const owner = createWorkflowMonque(db, { collectionName, lockTimeout: 60_000, maxStalls: 0 });
    const started = deferred();
    const gate = deferred();
    owner.worker(
      'charge',
      async () => {
        started.resolve();
        await gate.promise;
      },
      { deadLetter: 'charge-failed', maxRetries: 0 },
    );
    const other = createWorkflowMonque(db, { collectionName, lockTimeout: 300, staleCheckInterval: 100 });
    other.worker('unrelated', () => {});
    const job = await owner.enqueue('charge', { order: 9 });
    await owner.start();
    await started.promise;
    await other.start();
    try {
      await waitForStatus(db, other, job._id, JobStatus.FAILED);
      await waitUntil(
        async () => (await rawJobs(db, other).countDocuments({ name: 'charge-failed' })) === 1,
        'the dead letter',
        { timeoutMs: 5_000 },
      );
    } finally {
      gate.resolve();
      await other.stop();
      await owner.stop();
    }
    const letter = await rawJobs(db, other).findOne({ name: 'charge-failed' });
    expect(letter).toMatchObject({ data: { order: 9 }, deadLetterOf: { jobId: job._id, name: 'charge' } });
  });

  it('the dead letter is that of the worker where the job was last claimed: one without none writes none', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    // Its retry is far off: the second (last) attempt is the second instance's, however slow the stop.
    const first = createWorkflowMonque(db, { collectionName, baseRetryInterval: 60_000 });
    first.worker(
      'charge',
      () => {
        throw new Error('try again');
      },
      { deadLetter: 'charge-failed', maxRetries: 2 },
    );
    const job = await first.enqueue('charge', {});
    await first.start();
    await waitUntil(async () => (await stored(db, first, job._id))?.failCount === 1, 'the first failure');
    await first.stop();
    const second = createWorkflowMonque(db, { collectionName });
    second.worker('charge', () => {
      throw new UnrecoverableError('no');
    });
    await rawJobs(db, second).updateOne({ _id: job._id }, { $set: { nextRunAt: new Date(0) } });
    await second.start();
    await waitForStatus(db, second, job._id, JobStatus.FAILED);
    await second.stop();
    expect(await stored(db, second, job._id)).not.toHaveProperty('deadLetterDue');
    expect(await rawJobs(db, second).countDocuments({ name: 'charge-failed' })).toBe(0);
  });

  it.each(['retryJob', 'retryJobs'] as const)(
    '%s of a job still owing its dead letter writes it first, once',
    async (how) => {
      const db = await getDb();
      const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), NO_SWEEP);
      monque.worker('charge', () => {
        throw new UnrecoverableError('card declined');
      });
      const job = await monque.enqueue('charge', { order: 3 }, { deadLetter: 'charge-failed' });
      const dropped = proxy.dropRequest(isDeadLetterInsert, { times: Number.POSITIVE_INFINITY });
      await monque.start();
      await dropped.firstHit;
      await waitForStatus(db, monque, job._id, JobStatus.FAILED);
      await monque.stop();
      proxy.clearFaults();
      expect(await stored(db, monque, job._id)).toMatchObject({ deadLetterDue: 'charge-failed' });
      if (how === 'retryJob') await monque.retryJob(job._id);
      else expect(await monque.retryJobs({ name: 'charge' })).toEqual({ count: 1 });
      const letters = await rawJobs(db, monque).find({ name: 'charge-failed' }).toArray();
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        data: { order: 3 },
        deadLetterOf: { jobId: job._id, name: 'charge', failReason: 'card declined' },
      });
      expect(await stored(db, monque, job._id)).toMatchObject({ status: JobStatus.PENDING });
      expect(await stored(db, monque, job._id)).not.toHaveProperty('deadLetterDue');
    },
  );
});
