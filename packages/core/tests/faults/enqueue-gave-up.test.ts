/**
 * An `enqueue` whose caller was given an error is never sent afterwards: the driver keeps an
 * operation it could not send yet (waiting to select a server, or for a connection) and sends it
 * once the database is back, long after the caller was told it failed. A caller that then checks,
 * finds nothing and enqueues again would get the job twice. Seen from the producer's own driver
 * (`commandStarted`), as the chaos run's invariant 8 sees it.
 */
import { freshCollectionName, getTestUri, startFaultProxy } from '@monque/test-backend';
import { type CommandStartedEvent, type Db, MongoClient, type MongoClientOptions } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError, type EnqueueOptions, type Monque } from '../../src/index.js';
import { createMonque, jobsOf, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** When the producer's driver started each `insert`, by the `data.ref` of the jobs it carried. */
type Sends = Map<string, number[]>;

/**
 * A producer whose client reaches the server through a fault proxy and records its inserts. Its
 * server selection and connection checkout wait longer than `operationTimeout` (as a client's
 * usually do: 30 s and without limit by default).
 */
async function watchedProducer(db: Db, clientOptions: MongoClientOptions = {}) {
  const proxy = await startFaultProxy(getTestUri());
  const client = await new MongoClient(proxy.uri, {
    monitorCommands: true,
    serverSelectionTimeoutMS: 5_000,
    heartbeatFrequencyMS: 500,
    ...clientOptions,
  }).connect();
  cleanups.push(async () => {
    proxy.heal();
    await client.close(true).catch(() => {});
    await proxy.close();
  });
  const sends: Sends = new Map();
  client.on('commandStarted', (event: CommandStartedEvent) => {
    if (event.commandName !== 'insert') return;
    for (const doc of event.command.documents as { data?: { ref?: unknown } }[]) {
      const ref = doc.data?.ref;
      if (typeof ref === 'string') sends.set(ref, [...(sends.get(ref) ?? []), Date.now()]);
    }
  });
  const monque: Monque = createMonque(client.db(db.databaseName), {
    collectionName: freshCollectionName(db),
    operationTimeout: 500,
  });
  const warmUp = await monque.enqueue('warm-up', {});
  return { proxy, monque, sends, warmUp };
}

interface Outcome {
  readonly ref: string;
  readonly error: unknown;
  /** When the call rejected. */
  readonly at: number;
}

async function enqueueRef(monque: Monque, ref: string, options?: EnqueueOptions): Promise<Outcome> {
  const error = await monque.enqueue('order', { ref }, options).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  return { ref, error, at: Date.now() };
}

/**
 * Each call rejected with a `ConnectionError`; no insert carrying its job was sent after it
 * rejected; and it wrote no job unless its error says it may have been applied (then at most one).
 */
async function expectKeptTheirWord(db: Db, monque: Monque, sends: Sends, outcomes: Outcome[]): Promise<void> {
  for (const { ref, error, at } of outcomes) {
    expect(error, ref).toBeInstanceOf(ConnectionError);
    const late = (sends.get(ref) ?? []).filter((sentAt) => sentAt > at);
    expect(late, `inserts carrying ${ref} sent after its call rejected`).toEqual([]);
    const written = await jobsOf(db, monque).countDocuments({ 'data.ref': ref });
    if ((error as ConnectionError).mayHaveBeenApplied) expect(written, ref).toBeLessThanOrEqual(1);
    else expect(written, ref).toBe(0);
  }
}

describe('an enqueue rejected while the driver still held it', () => {
  it('waiting for a connection (the only one is stuck on an earlier insert): it is never sent afterwards', async () => {
    const db = await getDb();
    const { proxy, monque, sends } = await watchedProducer(db, { maxPoolSize: 1 });
    proxy.partition({ mode: 'blackhole' });
    // The first insert leaves on the only connection and gets no answer; the second waits for that
    // connection in the driver (it is handed to the driver after half the operationTimeout).
    const first = enqueueRef(monque, 'first');
    const second = enqueueRef(monque, 'second');
    const outcomes = await Promise.all([first, second]);
    expect(sends.get('second'), 'the second insert was not sent during the outage').toBeUndefined();
    proxy.heal();
    // The stuck insert is answered and its connection freed: anything the driver still held for
    // the second call would be sent now, before this one.
    await monque.enqueue('after', {});
    await expectKeptTheirWord(db, monque, sends, outcomes);
    expect((outcomes[0] as Outcome).error).toMatchObject({ mayHaveBeenApplied: true });
  });

  it('waiting to select a server (its connections were reset): it is never sent afterwards', async () => {
    const db = await getDb();
    const { proxy, monque, sends } = await watchedProducer(db);
    proxy.partition({ mode: 'reset' });
    // The driver learns that the server is gone: later operations wait to select it again.
    await monque.countJobs().catch(() => {});
    const outcomes = await Promise.all(['a', 'b', 'c'].map((ref) => enqueueRef(monque, ref)));
    proxy.heal();
    await enqueueWhenBack(monque);
    await expectKeptTheirWord(db, monque, sends, outcomes);
  });

  it('with dependencies, and through enqueueMany: it is never sent afterwards', async () => {
    const db = await getDb();
    const { proxy, monque, sends, warmUp } = await watchedProducer(db, { maxPoolSize: 1 });
    proxy.partition({ mode: 'blackhole' });
    // The only connection is stuck on this insert: the calls below wait for a connection.
    const first = enqueueRef(monque, 'first');
    const many = monque.enqueueMany([
      { name: 'order', data: { ref: 'm1' } },
      { name: 'order', data: { ref: 'm2' } },
    ]);
    const [dependent, manyError] = await Promise.all([
      enqueueRef(monque, 'dependent', { dependsOn: [warmUp._id] }),
      many.then(
        () => undefined,
        (thrown: unknown) => thrown,
      ),
      first,
    ]);
    const manyAt = Date.now();
    proxy.heal();
    // One connection, served in turn: after these round trips, whatever the driver still held
    // (a dependent enqueue takes three: its dependencies read, their marking, the insert) was sent.
    for (let round = 0; round < 4; round += 1) await monque.countJobs();
    await expectKeptTheirWord(db, monque, sends, [
      dependent,
      { ref: 'm1', error: manyError, at: manyAt },
      { ref: 'm2', error: manyError, at: manyAt },
    ]);
  });
});

/** Enqueues until the database answers again (the driver finds the server within a second or two). */
async function enqueueWhenBack(monque: Monque): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await monque.enqueue('after', {});
      return;
    } catch (error) {
      if (attempt >= 20) throw error;
    }
  }
}
