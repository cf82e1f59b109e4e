import { getTestUri } from '@monque/test-backend';
import { DITest } from '@tsed/di';
import mongoose from 'mongoose';
import { afterAll, describe, expect, it } from 'vitest';
import { ConnectionError, isDb, isMongooseConnection, Job, MonqueModule } from '../src/index.js';
import { boot, FAST, monqueSettings, nextEvent, useTestApp } from './helpers/app.js';

const getDb = useTestApp(import.meta.url);
const MONGOOSE_DB = 'monque_t_tsed_connection_mongoose';
const openConnections: mongoose.Connection[] = [];

afterAll(async () => {
  for (const connection of openConnections) {
    await connection.db?.collection('jobs_mongoose').deleteMany({});
    await connection.close();
  }
});

/** A Mongoose connection to the test backend; `autoCreate: false` because the backend cannot `create`. */
function mongooseConnection(open: boolean): mongoose.Connection {
  const connection = open
    ? mongoose.createConnection(getTestUri(), { dbName: MONGOOSE_DB, autoCreate: false })
    : mongoose.createConnection();
  openConnections.push(connection);
  return connection;
}

@Job({ name: 'echo' })
class EchoJob {
  static seen: unknown[] = [];
  handle(data: unknown): void {
    EchoJob.seen.push(data);
  }
}

describe('connections', () => {
  it('forRoot with a native Db', async () => {
    const db = await getDb();
    const { connection, ...options } = monqueSettings(db);
    const monque = await boot({ imports: [MonqueModule.forRoot({ connection, ...options })] });
    const done = nextEvent(monque, 'job:complete');
    await monque.enqueue('echo', 'native');
    await done;
    expect(EchoJob.seen).toContain('native');
  });

  it('forRoot options take precedence over the monque configuration key', async () => {
    const db = await getDb();
    const monque = await boot({
      monque: monqueSettings(db, { collectionName: 'from_settings' }),
      imports: [MonqueModule.forRoot({ collectionName: 'jobs_forroot_wins', pollInterval: 50 })],
    });
    expect(monque.options.collectionName).toBe('jobs_forroot_wins');
    await db.collection('jobs_forroot_wins').deleteMany({});
  });

  it('forRoot with an open Mongoose connection (its own copy of the driver)', async () => {
    const connection = mongooseConnection(true);
    await connection.asPromise();
    expect(isMongooseConnection(connection)).toBe(true);
    expect(isDb(connection.db)).toBe(true);
    const monque = await boot({
      imports: [MonqueModule.forRoot({ connection, collectionName: 'jobs_mongoose', ...FAST })],
    });
    const done = nextEvent(monque, 'job:complete');
    const job = await monque.enqueue('echo', 'mongoose');
    await done;
    expect(EchoJob.seen).toContain('mongoose');
    const stored = await connection.db?.collection('jobs_mongoose').findOne({ _id: job._id });
    expect(stored?.status).toBe('completed');
  });

  it('waits for a Mongoose connection that is not open yet when the module initialises', async () => {
    const connection = mongooseConnection(false);
    expect(connection.readyState).toBe(0);
    let booted = false;
    const booting = boot({
      imports: [MonqueModule.forRoot({ connection, collectionName: 'jobs_mongoose', ...FAST })],
    }).then((monque) => {
      booted = true;
      return monque;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(booted).toBe(false);
    await connection.openUri(getTestUri(), { dbName: MONGOOSE_DB, autoCreate: false });
    const monque = await booting;
    expect(monque.isRunning).toBe(true);
    const done = nextEvent(monque, 'job:complete');
    await monque.enqueue('echo', 'late');
    await done;
    expect(EchoJob.seen).toContain('late');
  });

  it('a Mongoose connection that never opens fails the boot with a ConnectionError after connectionTimeout', async () => {
    const connection = mongooseConnection(false);
    const error = await boot({ imports: [MonqueModule.forRoot({ connection, connectionTimeout: 100 })] }).then(
      () => new Error('expected the boot to fail'),
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/did not open within 100 ms/);
  });

  it('a Mongoose connection that fails to open fails the boot with a ConnectionError naming the cause', async () => {
    const connection = mongooseConnection(false);
    const booting = boot({ imports: [MonqueModule.forRoot({ connection, connectionTimeout: 10_000 })] }).then(
      () => new Error('expected the boot to fail'),
      (failure: unknown) => failure,
    );
    // Nothing listens on port 1: the connection emits 'error' while the module waits for it.
    await connection.openUri('mongodb://127.0.0.1:1/x', { serverSelectionTimeoutMS: 200 }).catch(() => {});
    const error = await booting;
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/failed to open/);
  });

  it('the module gives the Mongoose connection back untouched after destroy', async () => {
    const connection = mongooseConnection(true);
    await connection.asPromise();
    const ownClose = Object.hasOwn(connection, 'close');
    await boot({ imports: [MonqueModule.forRoot({ connection, collectionName: 'jobs_mongoose', ...FAST })] });
    expect(Object.hasOwn(connection, 'close')).toBe(true);
    await DITest.reset();
    expect(Object.hasOwn(connection, 'close')).toBe(ownClose);
    expect(connection.readyState).toBe(1);
  });
});
