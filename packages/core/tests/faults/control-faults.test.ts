/**
 * A change through the operations API (delete, cancel, retry … one job or many) that fails on the
 * wire tells its caller the truth about what may have been written: `mayHaveBeenApplied` is
 * `false` only when nothing was sent (or what was sent is known to have changed nothing), and
 * `true` once a command was sent and its outcome was lost, or a later command of the same call
 * failed after an earlier one had changed jobs. (A lost reply of a bulk delete once rejected with
 * `mayHaveBeenApplied: false` although every job was gone, and the dashboard said "failed".)
 */
import { freshCollectionName } from '@monque/test-backend';
import type { Collection, Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ConnectionError, JobStatus } from '../../src/index.js';
import { faultyMonque } from '../helpers/faulty.js';
import { createMonque, jobsOf, useTestDb } from '../helpers/monque.js';
import { insertJobs } from '../operations/helpers.js';

const getDb = useTestDb(import.meta.url);

async function rejection(work: Promise<unknown>): Promise<ConnectionError> {
  const error = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ConnectionError);
  return error as ConnectionError;
}

describe('a change whose reply is lost', () => {
  it('a bulk delete rejects saying it may have been applied, and it was', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db));
    await monque.enqueueMany(Array.from({ length: 5 }, (_, n) => ({ name: 'to-delete', data: { n } })));
    const lost = proxy.loseReply({ name: 'delete' });
    const error = await rejection(monque.deleteJobs({ name: 'to-delete' }));
    expect(lost.hits).toBe(1);
    expect(error.mayHaveBeenApplied).toBe(true);
    expect(error.message).toContain('it may have been applied');
    expect(await jobsOf(db, monque).countDocuments({})).toBe(0);
  });

  it('a single-job retry rejects saying it may have been applied', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db));
    const [failed] = await insertJobs(db, monque, [{ status: JobStatus.FAILED, name: 'one' }]);
    proxy.loseReply({ name: 'findAndModify' });
    const error = await rejection(monque.retryJob(failed?._id as never));
    expect(error.mayHaveBeenApplied).toBe(true);
    expect((await jobsOf(db, monque).findOne({ _id: failed?._id }))?.status).toBe(JobStatus.PENDING);
  });

  it('a bulk cancel whose second command is dropped says it may have been applied: the first was', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db));
    await monque.enqueueMany(Array.from({ length: 3 }, (_, n) => ({ name: 'to-cancel', data: { n } })));
    await insertJobs(db, monque, [{ status: JobStatus.PROCESSING, name: 'to-cancel' }]);
    let updates = 0;
    proxy.dropRequest((command) => command.name === 'update' && ++updates === 2);
    const error = await rejection(monque.cancelJobs({ name: 'to-cancel' }));
    expect(error.mayHaveBeenApplied).toBe(true);
    expect(await jobsOf(db, monque).countDocuments({ status: JobStatus.CANCELLED })).toBe(3);
  });
});

describe('a change that was never sent', () => {
  it('says nothing was applied, and nothing was (the server cannot be reached)', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db));
    await monque.enqueueMany(Array.from({ length: 2 }, (_, n) => ({ name: 'kept', data: { n } })));
    proxy.partition({ mode: 'reset' });
    // The first command after the reset meets a dead connection (its fate unknown to the driver);
    // from then on the driver knows the server is gone and selects none: nothing is sent.
    await monque.countJobs().catch(() => undefined);
    const error = await rejection(monque.deleteJobs({ name: 'kept' }));
    expect(error.message).toContain('nothing was sent or written');
    proxy.heal();
    expect(error.mayHaveBeenApplied).toBe(false);
    expect(await jobsOf(db, monque).countDocuments({})).toBe(2);
  });

  for (const [call, method, nth] of [
    ['cancelJobs', 'updateMany', 1], // after the bulkWrite that cancels the jobs not running
    ['retryJobs', 'find', 1],
  ] as const) {
    it(`${call}: after an earlier command of the same call changed jobs, says it may have been applied`, async () => {
      // A command the driver never sends (its pool cleared) right after one that went through: the
      // wire cannot time that, so the jobs collection is wrapped to fail the nth call of \`method\`
      // the way the driver would.
      const db = await getDb();
      const collectionName = freshCollectionName(db);
      const monque = createMonque(failingNthCall(db, collectionName, method, nth), { collectionName });
      const plain = await monque.enqueueMany(Array.from({ length: 3 }, (_, n) => ({ name: 'job', data: { n } })));
      await insertJobs(db, monque, [{ status: JobStatus.PROCESSING, name: 'job' }]);
      if (call === 'retryJobs') {
        await jobsOf(db, monque).updateMany(
          { _id: { $in: plain.map((job) => job._id) } },
          { $set: { status: JobStatus.FAILED } },
        );
        await insertJobs(db, monque, [{ status: JobStatus.FAILED, name: 'job', uniqueKey: 'k' }]);
      }
      const error = await rejection(
        call === 'cancelJobs' ? monque.cancelJobs({ name: 'job' }) : monque.retryJobs({ name: 'job' }),
      );
      expect(error.mayHaveBeenApplied).toBe(true);
      const changed = call === 'cancelJobs' ? JobStatus.CANCELLED : JobStatus.PENDING;
      expect(
        await jobsOf(db, monque).countDocuments({ _id: { $in: plain.map((job) => job._id) }, status: changed }),
      ).toBe(3);
    });
  }
});

/** `db` whose jobs collection `collectionName` fails the `nth` call of `method` as a command never sent. */
function failingNthCall(db: Db, collectionName: string, method: string, nth: number): Db {
  let calls = 0;
  const wrap = (collection: Collection): Collection =>
    new Proxy(collection, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        if (key !== method) return value.bind(target);
        return (...args: unknown[]) => {
          calls += 1;
          if (calls === nth) throw Object.assign(new Error('pool cleared'), { name: 'MongoPoolClearedError' });
          return value.apply(target, args);
        };
      },
    });
  return new Proxy(db, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      if (key !== 'collection') return value.bind(target);
      return (name: string, ...rest: unknown[]) => {
        const collection = value.call(target, name, ...rest) as Collection;
        return name === collectionName ? wrap(collection) : collection;
      };
    },
  });
}
