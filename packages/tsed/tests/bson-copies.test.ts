/**
 * Mongoose 8 bundles the `mongodb` 6 driver (BSON 6) while the application resolves `mongodb` 7
 * (BSON 7): what the guide says about `ObjectId`s holds.
 */
import { getTestUri } from '@monque/test-backend';
import { ObjectId as DriverObjectId } from 'mongodb';
import mongoose from 'mongoose';
import { afterAll, describe, expect, it } from 'vitest';
import { Job, type Monque, MonqueModule } from '../src/index.js';
import { boot, FAST, nextEvent, useTestApp } from './helpers/app.js';
import { operationsApi } from './helpers/core-capabilities.js';

useTestApp(import.meta.url);
const DB_NAME = 'monque_t_tsed_bson_copies';
const COLLECTION = 'jobs_bson';
let connection: mongoose.Connection | undefined;

afterAll(async () => {
  await connection?.db?.collection(COLLECTION).deleteMany({});
  await connection?.close();
});

const BSON_VERSION = Symbol.for('@@mdb.bson.version');
const bsonMajor = (value: object): unknown => (value as Record<symbol, unknown>)[BSON_VERSION];

@Job({ name: 'link-user' })
class LinkUserJob {
  static seen: unknown[] = [];
  handle(data: { userId: unknown }): void {
    LinkUserJob.seen.push(data.userId);
  }
}

async function bootOnMongoose(): Promise<Monque> {
  connection ??= await mongoose.createConnection(getTestUri(), { dbName: DB_NAME, autoCreate: false }).asPromise();
  return boot({ imports: [MonqueModule.forRoot({ connection, collectionName: COLLECTION, ...FAST })] });
}

describe('ObjectIds from two copies of BSON', () => {
  it('the two copies differ here: Mongoose 8 brings BSON 6, mongodb resolves to BSON 7', () => {
    expect(bsonMajor(new mongoose.Types.ObjectId())).toBe(6);
    expect(bsonMajor(new DriverObjectId())).toBe(7);
  });

  it('job data: an ObjectId of the other copy is refused before any write, naming the path; mongoose.Types.ObjectId works', async () => {
    const monque = await bootOnMongoose();
    await expect(monque.enqueue('link-user', { userId: new DriverObjectId() })).rejects.toThrow(
      expect.objectContaining({ name: 'InvalidArgumentError', argument: 'data' }),
    );
    await expect(monque.enqueue('link-user', { userId: new DriverObjectId() })).rejects.toThrow(
      /data\.userId is a BSON ObjectId of another copy of the driver/,
    );
    const userId = new mongoose.Types.ObjectId();
    const done = nextEvent(monque, 'job:complete');
    const job = await monque.enqueue('link-user', { userId });
    await done;
    expect(bsonMajor(job._id)).toBe(6);
    expect(LinkUserJob.seen).toHaveLength(1);
    expect(String(LinkUserJob.seen[0])).toBe(userId.toHexString());
  });

  it("Monque's own calls take ids from either copy, or their hex string", async (ctx) => {
    const monque = await bootOnMongoose();
    const capability = await operationsApi(connection?.db as never);
    if (capability !== true) ctx.skip(capability);
    const job = await monque.enqueue(
      'link-user',
      { userId: 'pending-forever' },
      { runAt: new Date(Date.now() + 3_600_000) },
    );
    const hex = job._id.toHexString();
    for (const id of [job._id, new DriverObjectId(hex), hex]) {
      expect((await monque.getJob(id))?._id.toHexString()).toBe(hex);
    }
    expect((await monque.cancelJob(new DriverObjectId(hex)))?.status).toBe('cancelled');
  });
});
