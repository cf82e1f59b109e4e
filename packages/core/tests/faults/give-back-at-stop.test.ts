/**
 * The give-back at `stop()`'s deadline on the bad day: a give-back whose request is dropped is tried
 * again within the last grace, so the job is `pending` again and never charged a failure; a job
 * whose cancellation was requested ends `cancelled` by the give-back and is reported as
 * `job:cancelled` by the instance that wrote it.
 */
import { commandDocuments, freshCollectionName, type WireCommand } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { type Job, JobStatus } from '../../src/index.js';
import { faultyMonque } from '../helpers/faulty.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** The give-back: an `update` one of whose statements hands jobs back uncounted (`attempts` − 1). */
const isGiveBack = (command: WireCommand): boolean =>
  command.name === 'update' &&
  commandDocuments(command, 'updates').some(
    (statement) => (statement.u as { $inc?: { attempts?: number } } | undefined)?.$inc?.attempts === -1,
  );

describe('the give-back at the deadline', () => {
  it('is tried again when its request is dropped: the job is pending again, no failure charged', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), {
      shutdownTimeout: 300,
      operationTimeout: 2_000,
      lockTimeout: 60_000,
    });
    monque.worker('long', async (_job, { signal }) => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      throw signal.reason;
    });
    const job = await monque.enqueue('long', {}, { maxRetries: 1 });
    const started = nextEvent(monque, 'job:start');
    await monque.start();
    await started;
    const dropped = proxy.dropRequest(isGiveBack);
    await monque.stop();
    expect(dropped.hits).toBe(1);
    expect(proxy.commands(isGiveBack).length).toBeGreaterThanOrEqual(2);
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.PENDING,
      failCount: 0,
      attempts: 0,
    });
  });

  it('a job whose cancellation was requested ends cancelled and is reported as job:cancelled', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    // The heartbeat is slow: the owner has not seen the cancellation when its stop() gives up.
    const owner = createMonque(db, {
      collectionName,
      shutdownTimeout: 300,
      heartbeatInterval: 10_000,
      lockTimeout: 60_000,
    });
    const operator = createMonque(db, { collectionName });
    const stuck = deferred();
    owner.worker('stubborn', () => stuck.promise);
    const cancelled: Job[] = [];
    owner.on('job:cancelled', ({ job }) => cancelled.push(job));
    const job = await owner.enqueue('stubborn', {});
    const started = nextEvent(owner, 'job:start');
    await owner.start();
    await started;
    await operator.cancelJob(job._id, { reason: 'not needed' });
    await owner.stop();
    stuck.resolve();
    expect(await jobsOf(db, owner).findOne({ _id: job._id })).toMatchObject({ status: JobStatus.CANCELLED });
    expect(cancelled.map((event) => [event._id.toHexString(), event.status, event.cancelReason])).toEqual([
      [job._id.toHexString(), JobStatus.CANCELLED, 'not needed'],
    ]);
  });
});
