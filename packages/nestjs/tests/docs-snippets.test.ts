/**
 * The NestJS guide's snippets (packages/docs/snippets/nestjs), booted as written against the test
 * backend: forRootAsync with useFactory/useClass/an application-owned client, producer-only and
 * manually started processes, a request-scoped processor, a recurring job registered at boot and a
 * job enqueued inside a transaction.
 */
import { getMongoClient, getTestUri } from '@monque/test-backend';
import type { ModuleMetadata } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus, MonqueLifecycle, MonqueModule } from '../src/index.js';
import { bootApp, nextEvent, useTestApps } from './helpers/app.js';

useTestApps(import.meta.url);

type Snippets = typeof import('../../docs/snippets/nestjs/configuration.js') &
  typeof import('../../docs/snippets/nestjs/producer.js') &
  typeof import('../../docs/snippets/nestjs/recurring-and-transactions.js');
let snippets: Snippets;
const DB_NAME = 'monque_t_nestjs_docs';
/** The own-client snippet names its database, as an application does. */
const SHOP = 'shop';

async function cleanUp(): Promise<void> {
  const client = await getMongoClient();
  for (const collection of ['monque_jobs', 'jobs']) await client.db(DB_NAME).collection(collection).deleteMany({});
  for (const collection of ['monque_jobs', 'orders']) await client.db(SHOP).collection(collection).deleteMany({});
}

beforeAll(async () => {
  const uri = new URL(getTestUri());
  uri.pathname = `/${DB_NAME}`;
  process.env.MONGODB_URI = uri.toString();
  process.env.JOB_CONCURRENCY = '3';
  await cleanUp();
  // Imported once the environment is set: the modules read MONGODB_URI when they are declared.
  snippets = {
    ...(await import('../../docs/snippets/nestjs/configuration.js')),
    ...(await import('../../docs/snippets/nestjs/producer.js')),
    ...(await import('../../docs/snippets/nestjs/recurring-and-transactions.js')),
  };
});
afterAll(async () => {
  delete process.env.MONGODB_URI;
  delete process.env.JOB_CONCURRENCY;
  await cleanUp();
});

/** `true`, or why the server runs no transactions (a standalone MongoDB; the embedded backend runs them). */
async function probeTransactions(): Promise<true | string> {
  const session = (await getMongoClient()).startSession();
  try {
    session.startTransaction();
    await (await getMongoClient()).db(SHOP).collection('orders').insertOne({ probe: true }, { session });
    await session.abortTransaction();
    return true;
  } catch (error) {
    return `the server runs no transactions (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await session.endSession();
  }
}

const boot = (metadata: ModuleMetadata) => bootApp(metadata, { http: false });

describe("the NestJS guide's snippets", () => {
  it('forRootAsync with useFactory reads its options from ConfigService', async () => {
    const { monque } = await boot({ imports: [snippets.FactoryAppModule] });
    expect(monque.options.defaultConcurrency).toBe(3);
    expect(monque.options.shutdownTimeout).toBe(25_000);
    expect(monque.isRunning).toBe(true);
  });

  it('forRootAsync with useClass', async () => {
    const { monque } = await boot({ imports: [snippets.ClassAppModule] });
    expect(monque.options.collectionName).toBe('jobs');
  });

  it('an application-owned client: a recurring job registered at every boot, a job enqueued in a transaction', async (context) => {
    for (let bootCount = 0; bootCount < 2; bootCount += 1) {
      const { app } = await boot({
        imports: [snippets.OwnClientAppModule, snippets.DatabaseModule],
        providers: [snippets.ReportSchedule, snippets.OrderService],
      });
      await app.close();
    }
    const { app, monque } = await boot({
      imports: [snippets.OwnClientAppModule, snippets.DatabaseModule],
      providers: [snippets.ReportSchedule, snippets.OrderService],
    });
    const shop = (await getMongoClient()).db(SHOP);
    expect(await shop.collection('monque_jobs').countDocuments({ name: 'nightly-report' })).toBe(1);

    const transactions = await probeTransactions();
    if (transactions !== true) return context.skip(transactions);
    await app.get(snippets.OrderService).placeOrder('o-1');
    expect(await shop.collection('orders').countDocuments({ orderId: 'o-1' })).toBe(1);
    const { jobs } = await monque.getJobs({ name: 'ship-order', data: { orderId: 'o-1' } });
    expect(jobs.map((job) => job.status)).toEqual([JobStatus.PENDING]);
  });

  it('worker: false makes a producer; manualStart leaves starting to a provider of the application', async () => {
    const api = await boot({ imports: [snippets.ApiModule] });
    expect(api.monque.isRunning).toBe(false);
    expect(api.app.get(MonqueLifecycle).role).toBe('producer');
    await api.app.close();
    const worker = await boot({ imports: [snippets.WorkerModule] });
    expect(worker.monque.isRunning).toBe(true);
    expect(worker.app.get(MonqueLifecycle).role).toBe('worker');
  });

  it("the testing snippet's unit test passes", async () => {
    const { welcomeEmailIsSent } = await import('../../docs/snippets/nestjs/testing.js');
    await welcomeEmailIsSent();
  });

  it('a request-scoped processor gets its tenant from the job; a singleton service reports progress', async () => {
    // Loaded last: the other applications do not provide its processor (and would say so).
    const { TenantContext, Importer, ImportProcessor } = await import('../../docs/snippets/nestjs/scoped-processor.js');
    const { monque } = await boot({
      // The testing snippet loaded a processor this application does not provide.
      imports: [
        MonqueModule.forRoot({
          uri: process.env.MONGODB_URI as string,
          pollInterval: 50,
          unregisteredProcessors: 'ignore',
        }),
      ],
      providers: [TenantContext, Importer, ImportProcessor],
    });
    const done = nextEvent(monque, 'job:complete');
    const job = await monque.enqueue('import-file', { tenantId: 'acme', file: 'users.csv' });
    expect((await done).result).toEqual({ tenantId: 'acme', rows: 9 });
    expect((await monque.getJob(job._id))?.progress).toEqual({ file: 'users.csv', done: true });
  });
});
