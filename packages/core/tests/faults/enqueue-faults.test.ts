/**
 * What an `enqueue` caller is told is the truth: a call that rejected is never written afterwards
 * unless its error says it may have been applied (`mayHaveBeenApplied`: only a command already
 * sent can be in doubt), a lone insert whose reply was lost is read back by its `_id`, and a
 * connection that stops answering does not hold up the enqueues queued behind its write.
 */
import { freshCollectionName, type WireCommand } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/index.js';
import { faultyMonque } from '../helpers/faulty.js';
import { jobsOf, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

const isInsert = { name: 'insert' };
/** A read of jobs by `_id` (a read-back). */
const isReadById = (command: WireCommand): boolean =>
  command.name === 'find' && (command.body.filter as { _id?: unknown } | undefined)?._id !== undefined;

function mayHaveBeenApplied(error: unknown): boolean {
  return error instanceof ConnectionError && error.mayHaveBeenApplied;
}

describe('enqueue callers that were told it failed', () => {
  it('20 callers during an outage: no rejected call is written afterwards unless its error says it may have been applied', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { operationTimeout: 500 });
    await monque.enqueue('warm-up', {});
    proxy.partition({ mode: 'blackhole' });
    const calls = await Promise.allSettled(
      Array.from({ length: 20 }, (_, order) => monque.enqueue('order', { order })),
    );
    proxy.heal();
    // Queued behind whatever is still queued: once it is written, nothing earlier is left.
    await monque.enqueue('after', {});
    const inDoubt = new Set<number>();
    calls.forEach((call, order) => {
      expect(call.status).toBe('rejected');
      const error = (call as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(ConnectionError);
      if (mayHaveBeenApplied(error)) {
        expect(error.message).toContain('it may have been applied');
        inDoubt.add(order);
      } else expect(error.message).toContain('nothing was sent or written');
    });
    // The first call's insert was sent; the others were queued behind it, and while nothing answers
    // at most one more is sent per half operationTimeout: the rest were withdrawn unsent.
    expect(inDoubt.has(0)).toBe(true);
    expect(inDoubt.size).toBeLessThanOrEqual(3);
    for (let order = 0; order < 20; order += 1) {
      const written = await jobsOf(db, monque).countDocuments({ name: 'order', 'data.order': order });
      if (!inDoubt.has(order)) expect(written, `order ${order}`).toBe(0);
      else expect(written).toBeLessThanOrEqual(1);
    }
  });
});

describe('enqueue callers that were told it failed before anything was sent', () => {
  it('while the indexes were still being created: the job is never written afterwards', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { operationTimeout: 300 });
    const indexes = proxy.delayReplies({ name: 'createIndexes' }, 1_000);
    const error = await monque.enqueue('early', {}).catch((thrown: unknown) => thrown);
    expect(indexes.hits).toBe(1);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(mayHaveBeenApplied(error)).toBe(false);
    expect((error as Error).message).toContain('nothing was sent or written');
    // The indexes are created once their reply arrives: the early call must still not be written.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(await jobsOf(db, monque).countDocuments({})).toBe(0);
  });

  it('with no server to send it to (connections refused): the error does not say it may have been applied', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { operationTimeout: 3_000 });
    await monque.countJobs();
    proxy.partition({ mode: 'reset' });
    // The driver learns that the server is gone (its open connections were reset).
    await monque.countJobs().catch(() => {});
    const error = await monque.enqueue('refused', {}).catch((thrown: unknown) => thrown);
    proxy.heal();
    expect(error).toBeInstanceOf(ConnectionError);
    // The driver could not open a connection, or select a server: the insert never left.
    expect((error as Error).message).toMatch(/connect ECONNRESET|Server selection/);
    expect(mayHaveBeenApplied(error)).toBe(false);
    expect(await jobsOf(db, monque).countDocuments({})).toBe(0);
  });
});

describe('a lone insert whose reply is lost', () => {
  it('is read back by its _id: enqueue resolves with the job, stored once', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db));
    await monque.countJobs();
    const lost = proxy.loseReply(isInsert);
    const job = await monque.enqueue('lonely', { n: 1 });
    expect(lost.hits).toBe(1);
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toEqual(job);
    expect(await jobsOf(db, monque).countDocuments({})).toBe(1);
  });

  it('with a unique key (an upsert): enqueue resolves with the job it wrote', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db));
    await monque.countJobs();
    const lost = proxy.loseReply({ name: 'findAndModify' });
    const job = await monque.enqueue('keyed', { n: 1 }, { uniqueKey: 'k' });
    expect(lost.hits).toBe(1);
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject(job);
    expect(await jobsOf(db, monque).countDocuments({})).toBe(1);
  });

  it('and whose read-back fails too: the error says the job may have been applied', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db));
    await monque.countJobs();
    proxy.loseReply(isInsert);
    const readBack = proxy.dropRequest(isReadById);
    const error = await monque.enqueue('lonely', { n: 2 }).catch((thrown: unknown) => thrown);
    expect(readBack.hits).toBe(1);
    expect(mayHaveBeenApplied(error)).toBe(true);
    expect((error as Error).message).toContain('it may have been applied');
    expect(await jobsOf(db, monque).countDocuments({ 'data.n': 2 })).toBe(1);
  });

  it('dropped before it reached the server: the error does not say it may have been applied, and nothing is written', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db));
    await monque.countJobs();
    const dropped = proxy.dropRequest(isInsert);
    const error = await monque.enqueue('lonely', { n: 3 }).catch((thrown: unknown) => thrown);
    expect(dropped.hits).toBe(1);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(mayHaveBeenApplied(error)).toBe(false);
    expect(await jobsOf(db, monque).countDocuments({})).toBe(0);
  });
});

describe('an insert whose connection stops answering', () => {
  it('does not hold up the enqueues queued behind it: they are written within their operationTimeout', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { operationTimeout: 1_000 });
    await monque.countJobs();
    // The first insert's connection stalls (its reply comes 5 s later, long after the caller gave up).
    const stalled = proxy.delayReplies(isInsert, 5_000);
    const first = monque.enqueue('stalled', {}).catch((thrown: unknown) => thrown);
    await stalled.firstHit;
    const queued = await Promise.all([1, 2, 3].map((n) => monque.enqueue('queued', { n })));
    expect(queued).toHaveLength(3);
    const error = await first;
    expect(mayHaveBeenApplied(error)).toBe(true);
    expect(await jobsOf(db, monque).countDocuments({ name: 'queued' })).toBe(3);
  });
});
