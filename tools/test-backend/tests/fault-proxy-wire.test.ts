import { BSON } from 'mongodb';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MessageReader } from '../src/faults/wire.js';
import {
  cleanupTestDb,
  commandDocuments,
  decodeRequest,
  type FaultProxy,
  freshCollectionName,
  getTestDb,
  getTestUri,
  startFaultProxy,
} from '../src/index.js';
import { connectRaw, opMsg, type RawWireClient } from './raw-wire-client.js';

describe('wire decoding', () => {
  it('decodes an OP_MSG body and its document sequences', () => {
    const message = opMsg(
      42,
      { insert: 'jobs', ordered: true, $db: 'app' },
      { sequences: { documents: [{ n: 1 }, { n: 2 }] } },
    );
    const command = decodeRequest(message);
    expect(command).toMatchObject({ name: 'insert', collection: 'jobs', db: 'app', requestId: 42, moreToCome: false });
    expect(commandDocuments(command, 'documents')).toEqual([{ n: 1 }, { n: 2 }]);
    expect(commandDocuments(command, 'updates')).toEqual([]);
  });

  it('finds documents carried in the body too', () => {
    const command = decodeRequest(
      opMsg(1, { update: 'jobs', updates: [{ q: {}, u: { $set: { a: 1 } } }], $db: 'app' }),
    );
    expect(commandDocuments(command, 'updates')).toEqual([{ q: {}, u: { $set: { a: 1 } } }]);
  });

  it('decodes the legacy OP_QUERY handshake', () => {
    const query = BSON.serialize({ isMaster: 1, client: { driver: { name: 'x' } } });
    const namespace = Buffer.from('admin.$cmd\0');
    const header = Buffer.alloc(20);
    const counts = Buffer.alloc(8);
    counts.writeInt32LE(-1, 4);
    const length = header.length + namespace.length + counts.length + query.length;
    header.writeInt32LE(length, 0);
    header.writeInt32LE(7, 4);
    header.writeInt32LE(2004, 12);
    const command = decodeRequest(Buffer.concat([header, namespace, counts, query]));
    expect(command).toMatchObject({ name: 'isMaster', db: 'admin', requestId: 7 });
  });

  it('flags fire-and-forget requests, skips a checksum, and never throws on garbage', () => {
    expect(decodeRequest(opMsg(3, { endSessions: [], $db: 'admin' }, { moreToCome: true })).moreToCome).toBe(true);
    const withChecksum = Buffer.concat([opMsg(4, { ping: 1, $db: 'admin' }), Buffer.alloc(4)]);
    withChecksum.writeInt32LE(withChecksum.length, 0);
    withChecksum.writeUInt32LE(1, 16);
    expect(decodeRequest(withChecksum)).toMatchObject({ name: 'ping', db: 'admin' });
    const garbage = opMsg(5, { ping: 1 });
    garbage.writeUInt8(9, 20);
    expect(decodeRequest(garbage)).toMatchObject({ name: '(undecodable)', body: {} });
    const otherOpcode = opMsg(6, { ping: 1 });
    otherOpcode.writeInt32LE(2012, 12);
    expect(decodeRequest(otherOpcode).name).toBe('(opcode 2012)');
  });

  it('frames messages split across chunks and several in one chunk', () => {
    const a = opMsg(1, { ping: 1, $db: 'admin' });
    const b = opMsg(2, { find: 'jobs', $db: 'app' });
    const reader = new MessageReader();
    const joined = Buffer.concat([a, b]);
    const seen: number[] = [];
    for (let at = 0; at < 7; at += 1)
      seen.push(...reader.push(joined.subarray(at, at + 1)).map((m) => m.readInt32LE(4)));
    seen.push(...reader.push(joined.subarray(7, a.length + 3)).map((m) => m.readInt32LE(4)));
    seen.push(...reader.push(joined.subarray(a.length + 3)).map((m) => m.readInt32LE(4)));
    expect(seen).toEqual([1, 2]);
    expect(reader.push(Buffer.concat([a, b, a])).map((m) => m.readInt32LE(4))).toEqual([1, 2, 1]);
  });
});

describe('the fault proxy, on the wire', () => {
  let proxy: FaultProxy;
  let raw: RawWireClient | undefined;

  afterEach(async () => {
    raw?.close();
    await proxy?.close();
  });

  afterAll(async () => {
    await cleanupTestDb(await getTestDb(import.meta.url));
  });

  it('forwards requests split byte by byte and several per chunk, and drops fire-and-forget ones', async () => {
    const db = await getTestDb(import.meta.url);
    const name = freshCollectionName(db, 'wire');
    await db.collection(name).insertMany([{ n: 1 }, { n: 2 }]);
    proxy = await startFaultProxy(getTestUri());
    raw = await connectRaw(proxy.port);
    const first = opMsg(11, { ping: 1, $db: 'admin' });
    for (const byte of first) {
      raw.socket.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    raw.socket.write(
      Buffer.concat([
        opMsg(12, { endSessions: [], $db: 'admin' }, { moreToCome: true }),
        opMsg(13, { find: name, filter: { n: 2 }, $db: db.databaseName }),
        opMsg(14, { count: name, $db: db.databaseName }),
      ]),
    );
    const replies = await raw.waitForReplies(3);
    expect(replies.map((reply) => reply.responseTo)).toEqual([11, 13, 14]);
    expect(replies[1]?.body.cursor.firstBatch.map((doc: { n: number }) => doc.n)).toEqual([2]);
    expect(replies[2]?.body.n).toBe(2);
    expect(proxy.commands().map((command) => [command.name, command.fault])).toEqual([
      ['ping', 'none'],
      ['endSessions', 'fire-and-forget'],
      ['find', 'none'],
      ['count', 'none'],
    ]);
  });

  it('keeps replies in order on a connection when an earlier one is delayed', async () => {
    const db = await getTestDb(import.meta.url);
    proxy = await startFaultProxy(getTestUri());
    proxy.delayReplies({ name: 'count' }, 500);
    raw = await connectRaw(proxy.port);
    raw.socket.write(
      Buffer.concat([opMsg(21, { count: 'none', $db: db.databaseName }), opMsg(22, { ping: 1, $db: 'admin' })]),
    );
    const replies = await raw.waitForReplies(2);
    expect(replies.map((reply) => reply.responseTo)).toEqual([21, 22]);
  });

  it('holds a blackholed connection’s requests and replies, and delivers them on heal', async () => {
    proxy = await startFaultProxy(getTestUri());
    proxy.partition({ mode: 'blackhole' });
    raw = await connectRaw(proxy.port);
    raw.socket.write(opMsg(31, { ping: 1, $db: 'admin' }));
    await expect(raw.waitForReplies(1, 500)).rejects.toThrow(/only 0 of 1/);
    const healedAt = Date.now();
    proxy.heal();
    expect((await raw.waitForReplies(1)).map((reply) => reply.responseTo)).toEqual([31]);
    const [ping] = proxy.commands();
    expect(ping?.forwardedAt).toBeGreaterThanOrEqual(healedAt);
    expect(ping?.at).toBeLessThan(healedAt);
  });

  it('logs only what its log filter wants, and never marks a dropped request forwarded', async () => {
    proxy = await startFaultProxy(getTestUri(), { logFilter: { name: ['ping', 'count'] } });
    proxy.dropRequest({ name: 'count' });
    raw = await connectRaw(proxy.port);
    raw.socket.write(Buffer.concat([opMsg(51, { buildInfo: 1, $db: 'admin' }), opMsg(52, { ping: 1, $db: 'admin' })]));
    await raw.waitForReplies(2);
    raw.socket.write(opMsg(53, { count: 'none', $db: 'admin' }));
    await expect(raw.waitForReplies(3)).rejects.toThrow(/socket closed/);
    expect(proxy.commands().map((command) => [command.name, command.fault, command.forwardedAt !== undefined])).toEqual(
      [
        ['ping', 'none', true],
        ['count', 'dropped', false],
      ],
    );
  });

  it('resets a connection whose reply is lost and one whose request is dropped', async () => {
    proxy = await startFaultProxy(getTestUri());
    proxy.loseReply({ name: 'ping' });
    raw = await connectRaw(proxy.port);
    raw.socket.write(opMsg(41, { ping: 1, $db: 'admin' }));
    await expect(raw.waitForReplies(1)).rejects.toThrow(/socket closed after 0/);
    proxy.dropRequest({ name: 'ping' });
    raw = await connectRaw(proxy.port);
    raw.socket.write(opMsg(42, { ping: 1, $db: 'admin' }));
    await expect(raw.waitForReplies(1)).rejects.toThrow(/socket closed after 0/);
    expect(proxy.commands().map((command) => command.fault)).toEqual(['reply-lost', 'dropped']);
  });
});
