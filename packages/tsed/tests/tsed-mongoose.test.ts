import '@tsed/mongoose';
import { getMongoClient, getTestUri } from '@monque/test-backend';
import { DITest } from '@tsed/di';
import { afterAll, describe, expect, it } from 'vitest';
import { Job, JobStatus, MonqueConfigurationError } from '../src/index.js';
import { boot, deferred, FAST, nextEvent, useTestApp } from './helpers/app.js';

useTestApp(import.meta.url);
const DB_NAME = 'monque_t_tsed_mongoose_module';
const collections: string[] = [];

afterAll(async () => {
  const db = (await getMongoClient()).db(DB_NAME);
  for (const name of collections) await db.collection(name).deleteMany({});
});

/** `@tsed/mongoose` settings with two connections; `autoCreate: false` because the backend cannot `create`. */
function mongooseSettings() {
  const connectionOptions = { dbName: DB_NAME, autoCreate: false };
  return [
    { id: 'default', url: getTestUri(), connectionOptions },
    { id: 'jobs', url: getTestUri(), connectionOptions },
  ];
}

function collection(): string {
  const name = `jobs_${collections.length}_${Date.now().toString(36)}`;
  collections.push(name);
  return name;
}

@Job({ name: 'index-document' })
class IndexDocumentJob {
  static release = deferred();
  static finished: string[] = [];

  async handle(data: { id: string; wait?: boolean }): Promise<void> {
    if (data.wait) await IndexDocumentJob.release.promise;
    IndexDocumentJob.finished.push(data.id);
  }
}

describe('with @tsed/mongoose', () => {
  it('takes the connection named by monque.connectionId', async () => {
    const collectionName = collection();
    const monque = await boot({
      mongoose: mongooseSettings(),
      monque: { connectionId: 'jobs', collectionName, ...FAST },
    });
    const done = nextEvent(monque, 'job:complete');
    const job = await monque.enqueue('index-document', { id: 'a' });
    await done;
    expect(IndexDocumentJob.finished).toContain('a');
    const stored = await (await getMongoClient()).db(DB_NAME).collection(collectionName).findOne({ _id: job._id });
    expect(stored?.status).toBe(JobStatus.COMPLETED);
  });

  it('uses the default @tsed/mongoose connection when monque names none', async () => {
    const monque = await boot({ mongoose: mongooseSettings(), monque: { collectionName: collection(), ...FAST } });
    expect(monque.isRunning).toBe(true);
  });

  it('an unknown connectionId fails the boot naming it', async () => {
    const error = await boot({ mongoose: mongooseSettings(), monque: { connectionId: 'reports' } }).then(
      () => new Error('expected the boot to fail'),
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(MonqueConfigurationError);
    expect((error as Error).message).toMatch(/no connection with id 'reports'/);
  });

  it('destroying the app lets a running job finish before @tsed/mongoose closes the connection', async () => {
    const collectionName = collection();
    const monque = await boot({
      mongoose: mongooseSettings(),
      monque: { collectionName, ...FAST },
    });
    const started = nextEvent(monque, 'job:start');
    const job = await monque.enqueue('index-document', { id: 'slow', wait: true });
    await started;
    setTimeout(() => IndexDocumentJob.release.resolve(), 300);
    // @tsed/mongoose closes its connections in its own $onDestroy, concurrently with ours.
    await DITest.reset();
    expect(IndexDocumentJob.finished).toContain('slow');
    const stored = await (await getMongoClient()).db(DB_NAME).collection(collectionName).findOne({ _id: job._id });
    expect(stored?.status).toBe(JobStatus.COMPLETED);
  });
});
