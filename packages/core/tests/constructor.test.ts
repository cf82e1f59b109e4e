/**
 * The constructor checks its database handle and options before anything else and does no I/O:
 * bad input is an InvalidArgumentError naming what is wrong, and not one command reaches the server.
 */
import { freshCollectionName, getTestUri } from '@monque/test-backend';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, Monque, MonqueError, type MonqueOptions } from '../src/index.js';
import { type CommandLog, openCommandLog } from './helpers/command-log.js';
import { useTestDb } from './helpers/monque.js';

const getDb = useTestDb(import.meta.url);

let log: CommandLog;

beforeAll(async () => {
  log = await openCommandLog((await getDb()).databaseName);
});

afterAll(async () => {
  await log.close();
});

/** Passes a deliberately ill-typed value through the typed API. */
function untyped(value: unknown): never {
  return value as never;
}

describe('the constructor', () => {
  /** Constructs on the monitored client; returns the error thrown and checks that nothing was sent. */
  function constructorError(db: unknown, options?: unknown): InvalidArgumentError {
    log.clear();
    let thrown: unknown;
    try {
      new Monque(untyped(db), untyped(options));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect(thrown).toBeInstanceOf(MonqueError);
    expect(log.commandNames()).toEqual([]);
    return thrown as InvalidArgumentError;
  }

  it('does no I/O', async () => {
    log.clear();
    const monque = new Monque(log.db, { collectionName: freshCollectionName(await getDb()) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(log.commandNames()).toEqual([]);
    expect(monque.isRunning).toBe(false);
    expect(monque.isHealthy()).toBe(false);
  });

  it.each([
    ['a plain object', {}],
    ['null', null],
    ['undefined', undefined],
    ['a connection string', 'mongodb://localhost/test'],
    ['an object without databaseName', { collection: () => ({}) }],
  ])('rejects a db that is %s', (_, db) => {
    const error = constructorError(db);
    expect(error.argument).toBe('db');
    expect(error.message).toContain('expected a MongoDB Db');
  });

  it('rejects a MongoClient in place of a Db', () => {
    expect(constructorError(log.db.client).argument).toBe('db');
  });

  it.each([
    ['pollInterval', -1],
    ['pollInterval', Number.NaN],
    ['pollInterval', '1000'],
    ['pollInterval', Number.POSITIVE_INFINITY],
    ['baseRetryInterval', -1],
    ['shutdownTimeout', Number.NaN],
    ['lockTimeout', 'long'],
    ['maxRetries', -1],
    ['maxRetries', 1.5],
    ['defaultConcurrency', 1.5],
    ['defaultConcurrency', 0],
    ['defaultConcurrency', '5'],
    ['recoverStaleJobs', 'yes'],
    ['collectionName', 42],
    ['instanceId', ''],
  ] as const)('rejects %s = %j, naming the option and the value', (key, value) => {
    const error = constructorError(log.db, { [key]: value } as MonqueOptions);
    expect(error.argument).toBe(`options.${key}`);
    expect(error.message.startsWith(`options.${key}: `)).toBe(true);
    const shown = typeof value === 'string' ? `'${value}'` : Number.isNaN(value) ? 'NaN' : String(value);
    expect(error.message).toContain(shown);
  });

  it('rejects an unknown option and suggests the right one', () => {
    const error = constructorError(log.db, { pollintervall: 100 });
    expect(error.argument).toBe('options.pollintervall');
    expect(error.message).toContain("unknown option (did you mean 'pollInterval'?)");
  });

  it('rejects options that are not an object', () => {
    expect(constructorError(log.db, 'fast').argument).toBe('options');
  });

  it('rejects a Db whose client makes primary keys other than ObjectIds (a custom pkFactory)', async () => {
    const client = new MongoClient(getTestUri(), { pkFactory: { createPk: () => 'my-own-id' } });
    try {
      const error = constructorError(client.db(log.db.databaseName));
      expect(error.argument).toBe('db');
      expect(error.message).toBe(
        'db: its driver does not create ObjectId primary keys (a custom pkFactory is not supported)',
      );
      // The same factory given to the Db alone is seen too.
      const ownDb = log.db.client.db(log.db.databaseName, { pkFactory: { createPk: () => 7 } });
      expect(constructorError(ownDb).argument).toBe('db');
    } finally {
      await client.close();
    }
  });
});
