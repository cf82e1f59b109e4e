import net from 'node:net';
import { BSON, type Collection, MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTestDb, freshCollectionName, getTestDb, getTestUri } from '../src/index.js';

interface ClaimDoc {
  _id: ObjectId;
  n: number;
  status: 'pending' | 'taken';
  takenBy?: string;
}

describe('the test backend', () => {
  const clients: MongoClient[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 4; i += 1) clients.push(await new MongoClient(getTestUri()).connect());
  });

  afterAll(async () => {
    const db = await getTestDb(import.meta.url);
    await cleanupTestDb(db);
    await Promise.all(clients.map((client) => client.close()));
  });

  it('hands every job to exactly one claimer: 4 clients x 8 concurrent loops, 300 jobs', async () => {
    const db = await getTestDb(import.meta.url);
    const name = freshCollectionName(db, 'claims');
    const jobs = db.collection<ClaimDoc>(name);
    await jobs.insertMany(
      Array.from({ length: 300 }, (_, n) => ({ _id: new ObjectId(), n, status: 'pending' as const })),
    );

    const claims: number[] = [];
    const loop = async (collection: Collection<ClaimDoc>, who: string): Promise<void> => {
      for (;;) {
        const doc = await collection.findOneAndUpdate(
          { status: 'pending' },
          { $set: { status: 'taken', takenBy: who } },
          { sort: { n: 1 }, returnDocument: 'after' },
        );
        if (!doc) return;
        claims.push(doc.n);
      }
    };
    await Promise.all(
      clients.flatMap((client, c) =>
        Array.from({ length: 8 }, (_, l) => loop(client.db(db.databaseName).collection<ClaimDoc>(name), `${c}.${l}`)),
      ),
    );

    const doubleClaims = claims.length - new Set(claims).size;
    expect(doubleClaims).toBe(0);
    expect(claims).toHaveLength(300);
    expect(await jobs.countDocuments({ status: 'pending' })).toBe(0);
  });

  it('forwards a message that expects no reply (moreToCome) without waiting, and keeps later replies in step', async () => {
    const db = await getTestDb(import.meta.url);
    const name = freshCollectionName(db, 'replies');
    await db.collection(name).insertMany(Array.from({ length: 5 }, (_, n) => ({ n })));
    const { port } = new URL(getTestUri());
    const socket = net.connect({ host: '127.0.0.1', port: Number(port) });
    await new Promise((resolve) => socket.once('connect', resolve));
    const body = BSON.serialize({ endSessions: [], $db: 'admin' });
    const header = Buffer.alloc(21);
    header.writeInt32LE(21 + body.length, 0);
    header.writeInt32LE(7, 4);
    header.writeInt32LE(0, 8);
    header.writeInt32LE(2013, 12);
    header.writeUInt32LE(1 << 1, 16); // moreToCome: no reply expected
    header.writeUInt8(0, 20); // section kind 0: the command body
    socket.write(Buffer.concat([header, body]));
    try {
      const reader = (clients[0] as MongoClient).db(db.databaseName).collection(name);
      for (let n = 0; n < 5; n += 1) expect((await reader.findOne({ n }))?.n).toBe(n);
    } finally {
      socket.destroy();
    }
  });
});
