import { type Collection, type Db, MongoClient, type MongoClientOptions, MongoNetworkError } from 'mongodb';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  cleanupTestDb,
  commandDocuments,
  type FaultProxy,
  freshCollectionName,
  getTestDb,
  getTestUri,
  isMonitoringCommand,
  startFaultProxy,
  waitUntil,
} from '../src/index.js';

/** Settles to 'resolved' | 'rejected', or stays 'pending'; lets a test look without awaiting. */
function track<T>(promise: Promise<T>): { state: () => 'pending' | 'resolved' | 'rejected'; done: Promise<unknown> } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  const done = promise.then(
    (value) => {
      state = 'resolved';
      return value;
    },
    (error: unknown) => {
      state = 'rejected';
      return error;
    },
  );
  return { state: () => state, done };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the fault proxy, with a plain MongoClient', () => {
  const cleanups: (() => Promise<unknown>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  afterAll(async () => {
    await cleanupTestDb(await getTestDb(import.meta.url));
  });

  /**
   * A proxy, a client through it (retries set explicitly: the driver retries once by default), and
   * the collection seen both ways.
   */
  async function setup(options: MongoClientOptions = {}): Promise<{
    proxy: FaultProxy;
    client: MongoClient;
    proxied: Collection;
    direct: Collection;
    db: Db;
  }> {
    const db = await getTestDb(import.meta.url);
    const name = freshCollectionName(db, 'faults');
    const proxy = await startFaultProxy(getTestUri());
    cleanups.push(() => proxy.close());
    const client = new MongoClient(proxy.uri, {
      serverSelectionTimeoutMS: 1_500,
      retryWrites: false,
      retryReads: false,
      ...options,
    });
    cleanups.push(() => client.close());
    await client.connect();
    return { proxy, client, proxied: client.db(db.databaseName).collection(name), direct: db.collection(name), db };
  }

  it('passes commands through and logs name, collection, database and the documents they carry', async () => {
    const { proxy, proxied, db } = await setup();
    await proxied.insertMany([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const [insert] = proxy.commands({ name: 'insert' });
    expect(insert).toMatchObject({ collection: proxied.collectionName, db: db.databaseName, fault: 'none' });
    expect(commandDocuments(insert as NonNullable<typeof insert>, 'documents').map((doc) => doc.n)).toEqual([1, 2, 3]);
    expect(proxy.commands().some((command) => isMonitoringCommand(command))).toBe(true);
    proxy.resetLog();
    expect(proxy.commands()).toEqual([]);
  });

  it('a lost reply of an insert: the server applied it, the client sees a network error, then works again', async () => {
    const { proxy, proxied, direct } = await setup();
    const fault = proxy.loseReply({ name: 'insert', collection: proxied.collectionName });
    await expect(proxied.insertOne({ n: 1 })).rejects.toBeInstanceOf(MongoNetworkError);
    expect(fault.hits).toBe(1);
    expect(fault.active).toBe(false);
    expect(await direct.countDocuments({ n: 1 })).toBe(1);
    await proxied.insertOne({ n: 2 });
    expect(await direct.countDocuments({})).toBe(2);
  });

  it('a lost reply of a findAndModify: the update is applied although the caller never learns it', async () => {
    const { proxy, proxied, direct } = await setup();
    await direct.insertOne({ _id: 'job' as never, status: 'pending' });
    proxy.loseReply({ name: 'findAndModify' });
    await expect(
      proxied.findOneAndUpdate({ status: 'pending' }, { $set: { status: 'processing' } }),
    ).rejects.toBeInstanceOf(MongoNetworkError);
    expect(await direct.findOne({})).toMatchObject({ status: 'processing' });
  });

  it('a dropped request: nothing is applied, the client sees a network error, then reconnects', async () => {
    const { proxy, proxied, direct } = await setup();
    const fault = proxy.dropRequest({ name: 'insert', collection: proxied.collectionName });
    await expect(proxied.insertOne({ n: 1 })).rejects.toBeInstanceOf(MongoNetworkError);
    expect(await fault.firstHit).toMatchObject({ name: 'insert', collection: proxied.collectionName });
    expect(await direct.countDocuments({})).toBe(0);
    expect(proxy.commands({ name: 'insert' }).map((command) => command.fault)).toEqual(['dropped']);
    await proxied.insertOne({ n: 2 });
    expect(await direct.countDocuments({})).toBe(1);
  });

  it('the driver retries a read once when retryReads is on, so a single dropped find goes unnoticed', async () => {
    const { proxy, proxied, direct } = await setup({ retryReads: true });
    await direct.insertOne({ n: 1 });
    proxy.dropRequest({ name: 'find', collection: proxied.collectionName });
    expect(await proxied.findOne({ n: 1 })).toMatchObject({ n: 1 });
    expect(proxy.commands({ name: 'find' }).map((command) => command.fault)).toEqual(['dropped', 'none']);
  });

  it('times: a fault hits exactly that many matching requests', async () => {
    const { proxy, proxied, direct } = await setup();
    const fault = proxy.dropRequest({ name: 'insert' }, { times: 2 });
    await expect(proxied.insertOne({ n: 1 })).rejects.toThrow();
    await expect(proxied.insertOne({ n: 2 })).rejects.toThrow();
    await proxied.insertOne({ n: 3 });
    expect(fault.hits).toBe(2);
    expect((await direct.find({}).toArray()).map((doc) => doc.n)).toEqual([3]);
  });

  it('clearFaults and cancel retire armed faults', async () => {
    const { proxy, proxied, direct } = await setup();
    const dropped = proxy.dropRequest({ name: 'insert' }, { times: Number.POSITIVE_INFINITY });
    const lost = proxy.loseReply({ name: 'find' });
    lost.cancel();
    expect(lost.active).toBe(false);
    proxy.clearFaults();
    expect(dropped.active).toBe(false);
    await proxied.insertOne({ n: 1 });
    expect(await proxied.findOne({ n: 1 })).toMatchObject({ n: 1 });
    expect(await direct.countDocuments({})).toBe(1);
    expect(dropped.hits + lost.hits).toBe(0);
  });

  it('a 3 s blackhole stalls operations in flight; they complete after it heals', async () => {
    const { proxy, proxied, direct } = await setup({ serverSelectionTimeoutMS: 10_000 });
    await proxied.insertOne({ n: 0 });
    proxy.partition({ mode: 'blackhole', forMs: 3_000 });
    expect(proxy.partitioned).toBe('blackhole');
    const insert = track(proxied.insertOne({ n: 1 }));
    await sleep(1_500);
    expect(insert.state()).toBe('pending');
    expect(await direct.countDocuments({ n: 1 })).toBe(0);
    await waitUntil(() => insert.state() !== 'pending', 'the insert to settle after the heal', { timeoutMs: 15_000 });
    expect(insert.state()).toBe('resolved');
    expect(proxy.partitioned).toBe(null);
    expect(await direct.countDocuments({ n: 1 })).toBe(1);
  });

  it('a blackhole fails operations that time out (socketTimeoutMS); what they sent is never applied; later ones succeed', async () => {
    const { proxy, proxied, direct } = await setup({ socketTimeoutMS: 500 });
    await proxied.insertOne({ n: 0 });
    const open = proxy.connectionCount;
    proxy.partition({ mode: 'blackhole' });
    await expect(proxied.insertOne({ n: 1 })).rejects.toBeInstanceOf(MongoNetworkError);
    // The driver closed the timed-out connection; its held request goes with it.
    await waitUntil(() => proxy.connectionCount < open, 'the timed-out connection to close');
    proxy.heal();
    await proxied.insertOne({ n: 2 });
    expect((await direct.find({}).sort({ n: 1 }).toArray()).map((doc) => doc.n)).toEqual([0, 2]);
  });

  it('a reset partition fails operations and refuses new connections; after the heal they succeed', async () => {
    const { proxy, proxied, direct } = await setup();
    await proxied.insertOne({ n: 0 });
    proxy.partition({ mode: 'reset' });
    expect(proxy.connectionCount).toBe(0);
    await expect(proxied.insertOne({ n: 1 })).rejects.toThrow();
    expect(proxy.connectionCount).toBe(0);
    proxy.heal();
    await proxied.insertOne({ n: 2 });
    expect((await direct.find({}).sort({ n: 1 }).toArray()).map((doc) => doc.n)).toEqual([0, 2]);
  });

  it('a reset partition with forMs heals by itself; nothing sent during it is applied', async () => {
    const { proxy, proxied, direct } = await setup();
    proxy.partition({ mode: 'reset', forMs: 1_000 });
    let failures = 0;
    await waitUntil(
      async () => {
        try {
          await proxied.insertOne({ n: 1 });
          return true;
        } catch {
          failures += 1;
          return false;
        }
      },
      'an insert to succeed after the partition healed',
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(failures).toBeGreaterThan(0);
    expect(proxy.partitioned).toBe(null);
    expect(await direct.countDocuments({})).toBe(1);
  });

  it('delayed replies arrive no earlier than their delay, and only the matching ones wait', async () => {
    const { proxy, proxied, direct } = await setup();
    await direct.insertOne({ n: 1 });
    const fault = proxy.delayReplies({ name: 'find', collection: proxied.collectionName }, 800, { times: 1 });
    const started = Date.now();
    expect(await proxied.findOne({ n: 1 })).toMatchObject({ n: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(750);
    await proxied.findOne({ n: 1 });
    expect(fault.hits).toBe(1);
    expect(proxy.commands({ name: 'find' }).map((command) => command.fault)).toEqual(['reply-delayed', 'none']);
  });

  it('monitoring traffic is untouched by a fault aimed at findAndModify', async () => {
    const { client, proxy, proxied, direct } = await setup({ heartbeatFrequencyMS: 500 });
    let heartbeatsFailed = 0;
    let heartbeatsSucceeded = 0;
    client.on('serverHeartbeatFailed', () => {
      heartbeatsFailed += 1;
    });
    client.on('serverHeartbeatSucceeded', () => {
      heartbeatsSucceeded += 1;
    });
    await direct.insertOne({ status: 'pending' });
    const fault = proxy.dropRequest({ name: 'findAndModify' }, { times: Number.POSITIVE_INFINITY });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await expect(
        proxied.findOneAndUpdate({ status: 'pending' }, { $set: { status: 'processing' } }),
      ).rejects.toBeInstanceOf(MongoNetworkError);
    }
    await waitUntil(() => heartbeatsSucceeded >= 3, 'three heartbeats', { timeoutMs: 10_000 });
    await client.db('admin').command({ ping: 1 });
    expect(heartbeatsFailed).toBe(0);
    expect(fault.hits).toBe(3);
    expect(await direct.countDocuments({ status: 'pending' })).toBe(1);
    const monitoring = proxy.commands((command) => isMonitoringCommand(command));
    expect(monitoring.length).toBeGreaterThan(0);
    expect(monitoring.every((command) => command.fault === 'none')).toBe(true);
  });

  it('two proxies on one backend do not affect each other', async () => {
    const a = await setup();
    const b = await setup();
    a.proxy.partition({ mode: 'reset' });
    a.proxy.dropRequest({ name: 'insert' }, { times: Number.POSITIVE_INFINITY });
    await expect(a.proxied.insertOne({ n: 1 })).rejects.toThrow();
    await b.proxied.insertOne({ n: 1 });
    await b.proxied.insertOne({ n: 2 });
    expect(await b.direct.countDocuments({})).toBe(2);
    expect(await a.direct.countDocuments({})).toBe(0);
    expect(b.proxy.commands().every((command) => command.fault === 'none')).toBe(true);
  });

  it('rejects bad fault options and upstream URIs it cannot proxy, naming the problem', async () => {
    const { proxy } = await setup();
    expect(() => proxy.dropRequest({ name: 'insert' }, { times: 0 })).toThrow(/times must be a positive integer/);
    expect(() => proxy.delayReplies({ name: 'find' }, -1)).toThrow(/delay must be >= 0/);
    expect(() => proxy.partition({ mode: 'cut' as never })).toThrow(/unknown partition mode/);
    await expect(startFaultProxy('mongodb+srv://cluster.example.net/')).rejects.toThrow(/mongodb\+srv/);
    await expect(startFaultProxy('mongodb://a:1,b:2/')).rejects.toThrow(/exactly one host/);
  });
});
