/**
 * Retention and late links, black-box: a dependency that completes while a dependent is being
 * enqueued (its insert's reply held back) keeps no expiry until that dependent is told, so
 * retention (simulated by deleting every job with an `expireAt`, as TTL would) cannot delete it and
 * the dependent is released, never cancelled as if its dependency had been deleted; a finished
 * dependency a new dependent is linked to loses its expiry until the dependent is told.
 */
import { commandDocuments, freshCollectionName, type WireCommand, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobStatus, UnrecoverableError } from '../../src/index.js';
import { deferred } from '../helpers/events.js';
import { faultyMonque } from '../helpers/faulty.js';
import { useTestDb, waitForStatus } from '../helpers/monque.js';
import { createWorkflowMonque, NO_SWEEP, rawJobs, stored } from './helpers.js';

const getDb = useTestDb(import.meta.url);

/** The insert of a dependent. */
const isDependentInsert = (command: WireCommand): boolean =>
  command.name === 'insert' && commandDocuments(command, 'documents').some((doc) => 'dependsOn' in doc);

/** A write that cancels waiting dependents (telling them a dependency failed). */
const isCancelTell = (command: WireCommand): boolean =>
  command.name === 'update' &&
  commandDocuments(command, 'updates').some(
    (update) => (update.u as { $set?: { status?: unknown } } | undefined)?.$set?.status === JobStatus.CANCELLED,
  );

describe('retention and late links', () => {
  it.each(['enqueue', 'flow'] as const)(
    'a dependency completing while the insert reply of a dependent (%s) is held back is not deleted, and releases it',
    async (how) => {
      const db = await getDb();
      const collectionName = freshCollectionName(db);
      const runner = createWorkflowMonque(db, { collectionName, retention: { completed: 0 } });
      const started = deferred();
      const gate = deferred();
      runner.worker('dependency', async () => {
        started.resolve();
        await gate.promise;
      });
      const { monque: producer, proxy } = await faultyMonque(db, collectionName, NO_SWEEP);
      const dependency = await producer.enqueue('dependency', {});
      await runner.start();
      await started.promise;
      const held = proxy.delayReplies(isDependentInsert, 3_000);
      const options = { dependsOn: [dependency._id] };
      const enqueued =
        how === 'enqueue'
          ? producer.enqueue('dependent', {}, options)
          : producer.flow({ name: 'dependent', data: {}, options }).then((tree) => tree.job);
      await held.firstHit;
      gate.resolve();
      await waitForStatus(db, runner, dependency._id, JobStatus.COMPLETED);
      // Retention deletes whatever has an expiry by now.
      await rawJobs(db, runner).deleteMany({ expireAt: { $exists: true } });
      const dependent = await enqueued;
      await waitForStatus(db, runner, dependent._id, JobStatus.PENDING);
      await runner.stop();
      expect((await stored(db, runner, dependent._id))?.cancelReason).toBeUndefined();
      // Once told, retention resumes: the dependency has its expiry back, or is deleted already.
      await waitUntil(async () => {
        const left = await stored(db, runner, dependency._id);
        return left === null || (left.expireAt !== undefined && left.notifyDependents === undefined);
      }, 'retention to resume');
    },
  );

  it('a failed dependency a new dependent is linked to keeps no expiry until the dependent is told', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), NO_SWEEP);
    monque.worker('dependency', () => {
      throw new UnrecoverableError('no');
    });
    const dependency = await monque.enqueue('dependency', {});
    await monque.start();
    await waitForStatus(db, monque, dependency._id, JobStatus.FAILED);
    await monque.stop();
    expect(await stored(db, monque, dependency._id)).toHaveProperty('expireAt');
    const dropped = proxy.dropRequest(isCancelTell);
    const dependent = await monque.enqueue('dependent', {}, { dependsOn: [dependency._id] });
    expect(dropped.hits).toBe(1);
    expect(dependent.status).toBe(JobStatus.WAITING);
    const left = await stored(db, monque, dependency._id);
    expect(left).toMatchObject({ notifyDependents: true });
    expect(left).not.toHaveProperty('expireAt');
  });
});
