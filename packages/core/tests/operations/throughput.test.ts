import { freshCollectionName } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ThroughputRecorder } from '../../src/engine/throughput-recorder.js';
import { MonqueEventEmitter } from '../../src/events.js';
import { InvalidArgumentError, type Monque } from '../../src/index.js';
import { silentLogger } from '../../src/options.js';
import { METRICS_RETENTION_MS, ThroughputStore } from '../../src/store/throughput-store.js';
import { openCommandLog } from '../helpers/command-log.js';
import { openOwnClient, useOwnClients } from '../helpers/own-client.js';
import { TestClock } from '../helpers/test-clock.js';
import { createOpsMonque, rememberSideCollections, useOperationsDb } from './helpers.js';

const getDb = useOperationsDb(import.meta.url);
useOwnClients();

const MINUTE = 60_000;
const T0 = new Date('2030-07-01T10:00:00Z');
const at = (minutes: number, seconds = 0) => new Date(T0.getTime() + minutes * MINUTE + seconds * 1000);

function recorderFor(db: Db, monque: Monque, events = new MonqueEventEmitter()): ThroughputRecorder {
  return new ThroughputRecorder({
    store: new ThroughputStore(db, monque.options.collectionName),
    events,
    logger: silentLogger,
  });
}

describe('throughput', () => {
  it('counts runs per minute and name; getThroughput fills missing minutes with zeros, oldest first', async () => {
    const db = await getDb();
    const clock = new TestClock(at(4, 30));
    const monque = createOpsMonque(db, { clock });
    const recorder = recorderFor(db, monque);
    recorder.record('mail', 'completed', at(0, 1));
    recorder.record('mail', 'completed', at(0, 59));
    recorder.record('mail', 'failed', at(0, 30));
    recorder.record('export', 'completed', at(0, 10));
    recorder.record('mail', 'completed', at(3));
    recorder.record('export', 'failed', at(4, 29));
    recorder.record('mail', 'completed', at(-10)); // outside the window asked for below
    await recorder.flush();

    expect(await monque.getThroughput({ minutes: 5 })).toEqual([
      { minute: at(0), completed: 3, failed: 1 },
      { minute: at(1), completed: 0, failed: 0 },
      { minute: at(2), completed: 0, failed: 0 },
      { minute: at(3), completed: 1, failed: 0 },
      { minute: at(4), completed: 0, failed: 1 },
    ]);
    const mail = await monque.getThroughput({ minutes: 5, name: 'mail' });
    expect(mail.map((bucket) => [bucket.completed, bucket.failed])).toEqual([
      [2, 1],
      [0, 0],
      [0, 0],
      [1, 0],
      [0, 0],
    ]);
    const hour = await monque.getThroughput();
    expect(hour).toHaveLength(60);
    expect(hour[59]?.minute).toEqual(at(4));
    expect(hour.reduce((sum, bucket) => sum + bucket.completed, 0)).toBe(5);
    expect(await monque.getThroughput({ name: 'nobody', minutes: 2 })).toEqual([
      { minute: at(3), completed: 0, failed: 0 },
      { minute: at(4), completed: 0, failed: 0 },
    ]);
  });

  it('instances add to the same counters; each minute expires two days on', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const one = createOpsMonque(db, { collectionName, clock: new TestClock(at(0, 50)) });
    const two = createOpsMonque(db, { collectionName });
    const [first, second] = [recorderFor(db, one), recorderFor(db, two)];
    first.record('mail', 'completed', at(0, 5));
    second.record('mail', 'completed', at(0, 6));
    second.record('mail', 'failed', at(0, 7));
    await Promise.all([first.flush(), second.flush()]);
    first.record('mail', 'completed', at(0, 8));
    await first.stop(); // flushes what is left
    expect(await one.getThroughput({ minutes: 1 })).toEqual([{ minute: at(0), completed: 3, failed: 1 }]);
    const store = new ThroughputStore(db, collectionName);
    const docs = await store.collection.find({}).toArray();
    expect(docs).toHaveLength(1);
    expect(docs[0]?.expireAt).toEqual(new Date(at(0).getTime() + METRICS_RETENTION_MS));
    // Keyed by minute, so reads and the sweep use the `_id` index: no index of its own to create.
    expect(docs[0]?._id).toBe(`${at(0).toISOString()}|mail`);
    await second.stop();
  });

  it('one flush is one bulkWrite, however many runs and names', async () => {
    const db = await getDb();
    const log = await openCommandLog(db.databaseName);
    try {
      const monque = createOpsMonque(log.db, { collectionName: freshCollectionName(db) });
      const recorder = recorderFor(log.db, monque);
      recorder.record('warm-up', 'completed', at(0));
      await recorder.flush(); // creates the indexes
      for (let i = 0; i < 300; i += 1) recorder.record(`name-${i % 30}`, i % 7 ? 'completed' : 'failed', at(i % 3));
      log.clear();
      await recorder.flush();
      expect(log.commandNames()).toEqual(['update']);
      log.clear();
      await recorder.flush(); // nothing recorded since: no command
      expect(log.commandNames()).toEqual([]);
    } finally {
      await log.close();
    }
  });

  it('a failed flush is reported and its counts are written by the next one', async () => {
    const db = await getDb();
    const { client, link } = await openOwnClient();
    const collectionName = freshCollectionName(db);
    rememberSideCollections(collectionName);
    const events = new MonqueEventEmitter();
    const errors: Error[] = [];
    events.on('job:error', ({ error }) => errors.push(error));
    const recorder = new ThroughputRecorder({
      store: new ThroughputStore(client.db(db.databaseName), collectionName),
      events,
      logger: silentLogger,
    });
    recorder.record('mail', 'completed', at(0));
    link.pause();
    await expect(recorder.flush()).rejects.toThrow();
    expect(errors).toHaveLength(1);
    recorder.record('mail', 'completed', at(0));
    link.resume();
    // The timer would flush again later; here, flush until the client has reconnected.
    await expect
      .poll(
        () =>
          recorder.flush().then(
            () => true,
            () => false,
          ),
        { timeout: 10_000 },
      )
      .toBe(true);
    const monque = createOpsMonque(db, { collectionName, clock: new TestClock(at(0)) });
    expect(await monque.getThroughput({ minutes: 1 })).toEqual([{ minute: at(0), completed: 2, failed: 0 }]);
  });

  it('flushes on its timer', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db, { clock: new TestClock(at(0)) });
    const recorder = new ThroughputRecorder({
      store: new ThroughputStore(db, monque.options.collectionName),
      events: new MonqueEventEmitter(),
      logger: silentLogger,
      flushInterval: 20,
    });
    recorder.start();
    recorder.record('mail', 'failed', at(0));
    await expect.poll(async () => (await monque.getThroughput({ minutes: 1 }))[0]?.failed, { timeout: 5_000 }).toBe(1);
    await recorder.stop();
  });

  it('refuses bad options, naming them', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const cases: [unknown, string][] = [
      [{ minutes: 0 }, 'options.minutes'],
      [{ minutes: 1441 }, 'options.minutes'],
      [{ minutes: 1.5 }, 'options.minutes'],
      [{ minutes: '5' }, 'options.minutes'],
      [{ name: { $ne: null } }, 'options.name'],
      [{ name: '' }, 'options.name'],
      [{ minute: 5 }, 'options.minute'],
      ['hour', 'options'],
    ];
    for (const [options, argument] of cases) {
      const error = await monque.getThroughput(options as never).catch((e: unknown) => e);
      expect(error, JSON.stringify(options)).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(argument);
    }
  });
});
