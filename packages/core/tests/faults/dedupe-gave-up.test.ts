/**
 * What a deduplicating enqueue that gives up tells its caller, through the wire-level fault proxy:
 * the same contract as a plain enqueue. It rejects with a `ConnectionError` whose
 * `mayHaveBeenApplied` is `true` when one of its writes was sent and its outcome is unknown (or it
 * changed something), and `false` only when nothing was written and nothing ever will be: only
 * reads were sent, every write was refused or never left the driver, or the caller gave up before
 * any write was sent.
 */
import { freshCollectionName, type WireCommand } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ConnectionError, type MonqueOptions } from '../../src/index.js';
import { THROTTLE_COLLECTION_SUFFIX } from '../../src/store/throttle-store.js';
import { faultyMonque } from '../helpers/faulty.js';
import { jobsOf, useTestDb } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';

const getDb = useTestDb(import.meta.url);

const T0 = new Date('2031-03-01T10:00:00.000Z');

async function setup(db: Db, options: MonqueOptions = {}) {
  const collectionName = freshCollectionName(db);
  const { monque, proxy } = await faultyMonque(db, collectionName, { clock: new TestClock(T0), ...options });
  await monque.countJobs(); // indexes created, connection open
  const windows = db.collection(`${collectionName}${THROTTLE_COLLECTION_SUFFIX}`);
  return { monque, proxy, jobsName: collectionName, windowsName: windows.collectionName, windows };
}

async function rejection(call: Promise<unknown>): Promise<ConnectionError> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ConnectionError);
  return error as ConnectionError;
}

describe('a deduplicating enqueue that gives up after lost replies', () => {
  it('replace creating the job, its reply lost and every read after it too: may have been applied (the job exists)', async () => {
    const db = await getDb();
    const { monque, proxy, jobsName } = await setup(db);
    const lost = proxy.loseReply({ collection: jobsName }, { times: Number.POSITIVE_INFINITY });
    const error = await rejection(monque.enqueue('sync', { v: 1 }, { uniqueKey: 'k', onDuplicate: 'replace' }));
    lost.cancel();
    // The upsert, then two reads of the key.
    expect(lost.hits).toBe(3);
    expect(error.mayHaveBeenApplied).toBe(true);
    expect(error.message).toContain('it may have been applied');
    expect(await jobsOf(db, monque).find({}).toArray()).toMatchObject([{ data: { v: 1 }, uniqueKey: 'k' }]);
  });

  it('throttle, its window opened and every read after it lost: may have been applied (the next call inserts its job)', async () => {
    const db = await getDb();
    const { monque, proxy, windowsName } = await setup(db);
    let opened = false;
    const lost = proxy.loseReply(
      (command: WireCommand) => {
        if (command.collection === windowsName && command.name === 'insert') opened = true;
        return opened && (command.name === 'insert' || command.name === 'find');
      },
      { times: Number.POSITIVE_INFINITY },
    );
    const error = await rejection(monque.enqueue('digest', { n: 1 }, { uniqueKey: 'k', throttle: 1_000 }));
    lost.cancel();
    expect(lost.hits).toBe(3);
    expect(error.mayHaveBeenApplied).toBe(true);
    // The window is open: the next call in it inserts the job of the call that opened it.
    const next = await monque.enqueue('digest', { n: 2 }, { uniqueKey: 'k', throttle: 1_000 });
    expect(next.data).toEqual({ n: 1 });
    expect(await jobsOf(db, monque).countDocuments()).toBe(1);
  });

  it('replace of a running job, its upsert refused (duplicate key) and every read after it lost: nothing written, and the error says so', async () => {
    const db = await getDb();
    const { monque, proxy } = await setup(db);
    const running = await monque.enqueue('sync', { v: 1 }, { uniqueKey: 'k' });
    await jobsOf(db, monque).updateOne({ _id: running._id }, { $set: { status: 'processing' } });
    const lost = proxy.loseReply({ name: 'find' }, { times: Number.POSITIVE_INFINITY });
    const error = await rejection(monque.enqueue('sync', { v: 2 }, { uniqueKey: 'k', onDuplicate: 'replace' }));
    lost.cancel();
    expect(lost.hits).toBe(3);
    expect(error.mayHaveBeenApplied).toBe(false);
    expect(await jobsOf(db, monque).find({}).toArray()).toMatchObject([
      { _id: running._id, data: { v: 1 }, status: 'processing', activeKey: 'u:k' },
    ]);
  });

  it('replace with no server to send it to (connections refused): nothing written, and the error says so', async () => {
    const db = await getDb();
    const { monque, proxy } = await setup(db, { operationTimeout: 15_000 });
    proxy.partition({ mode: 'reset' });
    // The driver learns that the server is gone (its open connections were reset).
    await monque.countJobs().catch(() => {});
    const error = await rejection(monque.enqueue('sync', { v: 1 }, { uniqueKey: 'k', onDuplicate: 'replace' }));
    proxy.heal();
    // The upsert never left the driver (no server selected, or no connection opened).
    expect(error.message).toMatch(/connect ECONNRESET|Server selection/);
    expect(error.mayHaveBeenApplied).toBe(false);
    expect(await jobsOf(db, monque).countDocuments()).toBe(0);
  });
});

describe('a deduplicating enqueue whose caller gave up (operationTimeout)', () => {
  it('throttle, still waiting for its first read: nothing was sent or written, and nothing is written afterwards', async () => {
    const db = await getDb();
    const { monque, proxy, windowsName, windows } = await setup(db, { operationTimeout: 300 });
    const held = proxy.delayReplies({ collection: windowsName, name: 'find' }, 1_000);
    const error = await rejection(monque.enqueue('digest', { n: 1 }, { uniqueKey: 'k', throttle: 60_000 }));
    expect(held.hits).toBe(1);
    expect(error.mayHaveBeenApplied).toBe(false);
    expect(error.message).toContain('nothing was sent or written');
    // The read is answered 1 s after it was sent: the call must not go on to open a window.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(proxy.commands({ name: ['insert', 'update'] })).toEqual([]);
    expect(await windows.countDocuments()).toBe(0);
    expect(await jobsOf(db, monque).countDocuments()).toBe(0);
  });

  it('replace, its upsert sent and not answered in time: may have been applied', async () => {
    const db = await getDb();
    const { monque, proxy, jobsName } = await setup(db, { operationTimeout: 300 });
    const held = proxy.delayReplies({ collection: jobsName, name: 'findAndModify' }, 1_000);
    const error = await rejection(monque.enqueue('sync', { v: 1 }, { uniqueKey: 'k', onDuplicate: 'replace' }));
    expect(held.hits).toBe(1);
    expect(error.mayHaveBeenApplied).toBe(true);
    expect(error.message).toContain('it may have been applied');
  });
});
