/**
 * Transactional enqueue: with `session`, a job exists if and only if the caller's transaction
 * commits, and no instance claims it before. Unique keys inside transactions:
 * - a key held by a committed active job: the enqueue returns that job, and the transaction adds
 *   nothing (tested here);
 * - two enqueues of one key in one transaction: one job (tested here);
 * - a key held by ANOTHER open transaction: MongoDB answers the second writer with a write conflict
 *   (`TransientTransactionError`), which reaches the caller as the driver's own error so that
 *   `withTransaction()` runs it again; once the first commits, the retry returns its job (needs a
 *   replica set: skipped, with the reason, elsewhere);
 * - a non-transactional enqueue of a key held by an open transaction waits for it to end (needs a
 *   replica set).
 *
 * The embedded backend runs transactions on a standalone server WITHOUT write-conflict detection,
 * and drops the connection when a commit breaks a unique index: the conflict cases need a replica set.
 */
import { freshCollectionName, getMongoClient, getTestUri, startFaultProxy, waitUntil } from '@monque/test-backend';
import { type ClientSession, type CommandStartedEvent, type Db, MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type Job, JobStatus, type Monque } from '../../src/index.js';
import { createMonque, jobsOf, nextEvent, useTestDb, waitForStatus } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** `true`, or why the server runs no transactions. */
async function probeTransactions(db: Db): Promise<true | string> {
  const session = (await getMongoClient()).startSession();
  try {
    session.startTransaction();
    await db.collection(freshCollectionName(db, 'probe')).insertOne({ probe: true }, { session });
    await session.abortTransaction();
    return true;
  } catch (error) {
    return `the server runs no transactions (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await session.endSession();
  }
}

/** `true`, or why two transactions writing one unique key cannot be tested here. */
async function probeWriteConflicts(db: Db): Promise<true | string> {
  const hello = await db.admin().command({ hello: 1 });
  if (typeof hello.setName === 'string') return true;
  return 'needs a replica set: a standalone server detects no write conflicts between transactions (and the embedded backend drops the connection when a commit breaks a unique index)';
}

const transactions = await probeTransactions(await getDb());
const writeConflicts = transactions === true ? await probeWriteConflicts(await getDb()) : transactions;

/** Runs `work` in a transaction that is then committed or aborted. */
async function inTransaction<T>(
  end: 'commit' | 'abort',
  work: (session: ClientSession) => Promise<T>,
  client?: MongoClient,
): Promise<T> {
  const session = (client ?? (await getMongoClient())).startSession();
  try {
    session.startTransaction();
    const result = await work(session);
    if (end === 'commit') await session.commitTransaction();
    else await session.abortTransaction();
    return result;
  } finally {
    await session.endSession();
  }
}

describe('transactional enqueue', () => {
  it('an aborted transaction leaves no job (enqueue and enqueueMany, with and without unique keys)', async (context) => {
    if (transactions !== true) return context.skip(transactions);
    const db = await getDb();
    const monque = createMonque(db);
    await inTransaction('abort', async (session) => {
      await monque.enqueue('email', { n: 1 }, { session });
      await monque.enqueue('email', { n: 2 }, { session, uniqueKey: 'welcome-7' });
      await monque.enqueueMany(
        [
          { name: 'email', data: { n: 3 } },
          { name: 'email', data: { n: 4 } },
          { name: 'email', data: { n: 5 }, options: { uniqueKey: 'receipt-9' } },
        ],
        { session },
      );
      // Inside the transaction its own jobs are visible to it.
      expect(await jobsOf(db, monque).countDocuments({}, { session })).toBe(5);
    });
    expect(await jobsOf(db, monque).countDocuments({})).toBe(0);
    // The keys were never taken: enqueueing them now creates new jobs.
    const fresh = await monque.enqueue('email', { n: 6 }, { uniqueKey: 'welcome-7' });
    expect(fresh.data).toEqual({ n: 6 });
  });

  it('a committed transaction has its jobs; before the commit nobody else sees them', async (context) => {
    if (transactions !== true) return context.skip(transactions);
    const db = await getDb();
    const monque = createMonque(db);
    const [single, many] = await inTransaction('commit', async (session) => {
      const job = await monque.enqueue('invoice', { order: 1 }, { session, priority: 2 });
      const jobs = await monque.enqueueMany([{ name: 'invoice', data: { order: 2 } }], { session });
      expect(await monque.getJob(job._id)).toBeNull();
      expect(await monque.countJobs()).toBe(0);
      return [job, jobs[0] as Job] as const;
    });
    expect(await monque.getJob(single._id)).toMatchObject({
      status: JobStatus.PENDING,
      data: { order: 1 },
      priority: 2,
    });
    expect(await monque.getJob(many._id)).toMatchObject({ status: JobStatus.PENDING, data: { order: 2 } });
    expect(await monque.countJobs()).toBe(2);
  });

  it('a running scheduler does not claim the job before the commit, and runs it after', async (context) => {
    if (transactions !== true) return context.skip(transactions);
    const db = await getDb();
    const commands: CommandStartedEvent[] = [];
    const client = await new MongoClient(getTestUri(), { monitorCommands: true }).connect();
    try {
      client.on('commandStarted', (event) => commands.push(event));
      const monque = createMonque(client.db(db.databaseName), {
        collectionName: freshCollectionName(db),
        pollInterval: 20,
      });
      const started: Job[] = [];
      monque.on('job:start', (job) => started.push(job));
      monque.worker('ship', () => 'shipped');
      await monque.start();
      const claimReads = () =>
        commands.filter(
          (event) =>
            (event.commandName === 'find' || event.commandName === 'findAndModify') &&
            event.command[event.commandName] === monque.options.collectionName &&
            event.command.lsid !== undefined &&
            event.command.txnNumber === undefined,
        ).length;
      const session = client.startSession();
      try {
        session.startTransaction();
        const job = await monque.enqueue('ship', { parcel: 1 }, { session });
        const readsBefore = claimReads();
        // Five claims of the running scheduler look for due jobs and find none.
        await waitUntil(() => claimReads() >= readsBefore + 5, 'five claim attempts');
        expect(started).toEqual([]);
        const completed = nextEvent(monque, 'job:complete', (event) => event.job._id.equals(job._id));
        await session.commitTransaction();
        expect((await completed).result).toBe('shipped');
      } finally {
        await session.endSession();
      }
      await monque.stop();
    } finally {
      await client.close();
    }
  });

  it('a unique key held by a committed job: the enqueue in the transaction returns that job and adds nothing', async (context) => {
    if (transactions !== true) return context.skip(transactions);
    const db = await getDb();
    const monque = createMonque(db);
    const holder = await monque.enqueue('sync', { from: 'outside' }, { uniqueKey: 'account-1' });
    for (const end of ['commit', 'abort'] as const) {
      const inside = await inTransaction(end, (session) =>
        monque.enqueue('sync', { from: end }, { session, uniqueKey: 'account-1' }),
      );
      expect(inside._id.equals(holder._id)).toBe(true);
      expect(inside.data).toEqual({ from: 'outside' });
    }
    expect(await jobsOf(db, monque).countDocuments({})).toBe(1);
  });

  it('two enqueues of one key in one transaction give one job', async (context) => {
    if (transactions !== true) return context.skip(transactions);
    const db = await getDb();
    const monque = createMonque(db);
    const [first, second, batch] = await inTransaction('commit', async (session) => [
      await monque.enqueue('sync', { n: 1 }, { session, uniqueKey: 'account-2' }),
      await monque.enqueue('sync', { n: 2 }, { session, uniqueKey: 'account-2' }),
      await monque.enqueueMany([{ name: 'sync', data: { n: 3 }, options: { uniqueKey: 'account-2' } }], { session }),
    ]);
    expect(second._id.equals(first._id)).toBe(true);
    expect(batch[0]?._id.equals(first._id)).toBe(true);
    expect(await jobsOf(db, monque).find({}).toArray()).toMatchObject([{ data: { n: 1 }, uniqueKey: 'account-2' }]);
  });

  it("withTransaction() runs the callback again after a transient error: the enqueue passes the driver's error on", async (context) => {
    if (transactions !== true) return context.skip(transactions);
    const db = await getDb();
    const proxy = await startFaultProxy(getTestUri());
    const client = await new MongoClient(proxy.uri, { serverSelectionTimeoutMS: 2_000 }).connect();
    try {
      const collectionName = freshCollectionName(db);
      const monque = createMonque(client.db(db.databaseName), { collectionName });
      await monque.countJobs(); // indexes created outside the transaction
      // The first insert of the transaction never reaches the server; the connection is reset.
      const lost = proxy.dropRequest({ name: 'insert', collection: collectionName });
      const session = client.startSession();
      let attempts = 0;
      try {
        await session.withTransaction(async (inner) => {
          attempts += 1;
          await monque.enqueue('pay', { attempt: attempts }, { session: inner });
        });
      } finally {
        await session.endSession();
      }
      expect(lost.hits).toBe(1);
      expect(attempts).toBe(2);
      expect(await jobsOf(db, monque).find({}).toArray()).toMatchObject([{ name: 'pay', data: { attempt: 2 } }]);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('a key held by another OPEN transaction: write conflict, and withTransaction() returns its job once it commits', async (context) => {
    if (writeConflicts !== true) return context.skip(writeConflicts);
    const db = await getDb();
    const monque = createMonque(db);
    const client = await getMongoClient();
    const first = client.startSession();
    const second = client.startSession();
    try {
      first.startTransaction();
      const held = await monque.enqueue('sync', { by: 'first' }, { session: first, uniqueKey: 'account-3' });
      let conflicts = 0;
      const waiting = second.withTransaction(async (session) => {
        try {
          return await monque.enqueue('sync', { by: 'second' }, { session, uniqueKey: 'account-3' });
        } catch (error) {
          // The driver's own error, so that withTransaction() retries it.
          expect(
            (error as { hasErrorLabel?: (label: string) => boolean }).hasErrorLabel?.('TransientTransactionError'),
          ).toBe(true);
          conflicts += 1;
          if (conflicts === 1) setTimeout(() => void first.commitTransaction(), 100);
          throw error;
        }
      });
      const got = (await waiting) as Job;
      expect(conflicts).toBeGreaterThan(0);
      expect(got._id.equals(held._id)).toBe(true);
      expect(await jobsOf(db, monque).countDocuments({})).toBe(1);
    } finally {
      await first.endSession();
      await second.endSession();
    }
  });

  it('a non-transactional enqueue of a key held by an open transaction waits for it, then returns its job', async (context) => {
    if (writeConflicts !== true) return context.skip(writeConflicts);
    const db = await getDb();
    const monque = createMonque(db);
    const session = (await getMongoClient()).startSession();
    try {
      session.startTransaction();
      const held = await monque.enqueue('sync', { by: 'transaction' }, { session, uniqueKey: 'account-4' });
      let settled = false;
      const outside = monque.enqueue('sync', { by: 'outside' }, { uniqueKey: 'account-4' }).finally(() => {
        settled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled, 'the outside enqueue waits for the transaction').toBe(false);
      await session.commitTransaction();
      expect((await outside)._id.equals(held._id)).toBe(true);
      expect(await jobsOf(db, monque).countDocuments({})).toBe(1);
    } finally {
      await session.endSession();
    }
  });
});

describe('session checks', () => {
  const NOT_SESSIONS: readonly { label: string; value: () => Promise<unknown> | unknown }[] = [
    { label: 'an object', value: () => ({}) },
    { label: 'a string', value: () => 'session-1' },
    { label: 'a number', value: () => 1 },
    { label: 'null', value: () => null },
    { label: 'a Db', value: async () => getDb() },
    {
      label: 'an ended session',
      value: async () => {
        const session = (await getMongoClient()).startSession();
        await session.endSession();
        return session;
      },
    },
  ];

  it.each(NOT_SESSIONS)('$label as session → InvalidArgumentError naming it, nothing written', async ({ value }) => {
    const db = await getDb();
    const monque: Monque = createMonque(db);
    const session = (await value()) as ClientSession;
    await expect(monque.enqueue('x', {}, { session })).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      argument: 'options.session',
    });
    await expect(monque.enqueueMany([{ name: 'x', data: {} }], { session })).rejects.toMatchObject({
      name: 'InvalidArgumentError',
      argument: 'options.session',
    });
    expect(await jobsOf(db, monque).countDocuments({})).toBe(0);
  });

  it('enqueueMany items take no session of their own: the session is the second argument', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const session = (await getMongoClient()).startSession();
    try {
      const items = [{ name: 'x', data: {}, options: { session } }];
      const error = await monque.enqueueMany(items as never).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe('jobs[0].options.session');
      expect(await jobsOf(db, monque).countDocuments({})).toBe(0);
    } finally {
      await session.endSession();
    }
  });

  it('a job enqueued with a session outside a transaction is written at once', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    monque.worker('plain', () => {});
    await monque.start();
    const session = (await getMongoClient()).startSession();
    try {
      const job = await monque.enqueue('plain', {}, { session });
      await waitForStatus(db, monque, job._id, JobStatus.COMPLETED);
    } finally {
      await session.endSession();
    }
    await monque.stop();
  });
});
