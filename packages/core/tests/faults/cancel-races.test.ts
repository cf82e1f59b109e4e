/**
 * A bulk cancel racing the engine: `cancelJobs` writes pending and running jobs by separate
 * commands, and a job that moves between the two (its run fails and it is due again) must still be
 * cancelled — it was once missed by both and ran again.
 */
import { commandDocuments, freshCollectionName, type WireCommand } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/index.js';
import { faultyMonque } from '../helpers/faulty.js';
import { createMonque, deferred, nextEvent, useTestDb, waitForStatus } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** The update of `cancelJobs` that cancels pending jobs. */
const cancelsPending = (command: WireCommand): boolean =>
  command.name === 'update' && JSON.stringify(commandDocuments(command, 'updates')).includes('"pending"');

describe('cancelJobs while a running job fails', () => {
  it('between its writes (pending again, for its retry): the job is cancelled and counted', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const { monque: operator, proxy } = await faultyMonque(db, collectionName);
    const worker = createMonque(db, { collectionName, pollInterval: 20 });
    const release = deferred();
    worker.worker('flaky', async () => {
      await release.promise;
      throw new Error('the run fails');
    });
    const job = await operator.enqueue('flaky', {}, { maxRetries: 5, backoff: { type: 'fixed', delay: 60_000 } });
    const started = nextEvent(worker, 'job:start');
    await worker.start();
    await started;
    // The pending jobs' cancel reaches the job while it runs; its reply is held while the run
    // fails and the job becomes pending again for its retry.
    // (On a machine so slow that the failure is written after the held reply, the running job is
    // asked to stop instead: the same count and end state, so the test never fails wrongly.)
    const held = proxy.delayReplies(cancelsPending, 3_000);
    const cancelling = operator.cancelJobs({ name: 'flaky' });
    await held.firstHit;
    release.resolve();
    expect(await cancelling).toEqual({ count: 1 });
    await waitForStatus(db, operator, job._id, JobStatus.CANCELLED);
    await worker.stop();
  });
});
