import { type Collection, MongoClient, ObjectId } from 'mongodb';
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
});
