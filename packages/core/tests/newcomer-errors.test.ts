/**
 * Errors that lead somewhere: the mistakes a newcomer makes first get a message that says what to do.
 */
import { getTestUri } from '@monque/test-backend';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { ConnectionError, InvalidArgumentError, InvalidCronError, Monque } from '../src/index.js';
import { createMonque, jobsOf, useTestDb } from './helpers/monque.js';

const getDb = useTestDb(import.meta.url);

describe('errors that lead somewhere', () => {
  it('a MongoClient where a Db is expected: use client.db(name)', async () => {
    const client = new MongoClient(getTestUri());
    const error = (() => {
      try {
        new Monque(client as never);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toContain('got a MongoClient: pass client.db(name)');
    await client.close();
  });

  it("schedule('nightly', '0 3 * * *'): the arguments are swapped, and it says so; nothing is written", async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const error = await monque.schedule('nightly', '0 3 * * *' as never, {}).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(InvalidCronError);
    expect((error as Error).message).toContain(
      "schedule() takes the cron expression first: schedule('0 3 * * *', 'nightly', data)",
    );
    expect(await jobsOf(db, monque).countDocuments()).toBe(0);
  });

  it('an unknown option suggests the close name, or lists the known ones', () => {
    for (const [key, hint] of [
      ['concurrency', "did you mean 'defaultConcurrency'"],
      ['retries', "did you mean 'maxRetries'"],
      ['pollIntervall', "did you mean 'pollInterval'"],
      ['colour', 'known options: collectionName, pollInterval'],
    ]) {
      expect(
        () => new Monque({ collection: () => {}, databaseName: 'x' } as never, { [key as string]: 1 } as never),
      ).toThrow(hint);
    }
  });

  it('enqueue after client.close() says that the client is closed', async () => {
    const db = await getDb();
    const client = await new MongoClient(getTestUri()).connect();
    const monque = createMonque(client.db(db.databaseName));
    await monque.enqueue('before', {});
    await client.close();
    const error = await monque.enqueue('after', {}).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toContain('the MongoClient is closed');
  });
});
