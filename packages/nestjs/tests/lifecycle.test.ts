/**
 * The module follows the Nest lifecycle: workers start in onApplicationBootstrap (after every
 * provider's onModuleInit), drain before the application's connections close, and `worker: false`
 * and `manualStart` leave starting to someone else.
 */
import { freshCollectionName, getTestUri } from '@monque/test-backend';
import { Inject, Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  DuplicateWorkerError,
  InjectMonque,
  JobStatus,
  Monque,
  MonqueLifecycle,
  MonqueModule,
  Processor,
} from '../src/index.js';
import { bootApp, deferred, FAST, nextEvent, rootOptions, useTestApps } from './helpers/app.js';

const getDb = useTestApps(import.meta.url);

@Processor('slow-export')
class SlowExportProcessor {
  static release = deferred();
  static finished = 0;
  async process(): Promise<void> {
    await SlowExportProcessor.release.promise;
    SlowExportProcessor.finished += 1;
  }
}

@Processor('ping')
class PingProcessor {
  process(): string {
    return 'pong';
  }
}

/** A provider of the application that looks at the scheduler while the application initialises. */
@Injectable()
class WarmUp implements OnModuleInit {
  runningDuringModuleInit: boolean | undefined;
  constructor(@InjectMonque() private readonly monque: Monque) {}
  onModuleInit(): void {
    this.runningDuringModuleInit = this.monque.isRunning;
  }
}

describe('lifecycle', () => {
  it('workers start after every onModuleInit, in onApplicationBootstrap; app.close() stops them', async () => {
    const db = await getDb();
    const { app, monque } = await bootApp(
      { imports: [MonqueModule.forRoot(rootOptions(db))], providers: [WarmUp, PingProcessor, SlowExportProcessor] },
      { http: false },
    );
    expect(app.get(WarmUp).runningDuringModuleInit).toBe(false);
    expect(monque.isRunning).toBe(true);
    expect(app.get(MonqueLifecycle).role).toBe('worker');
    const done = nextEvent(monque, 'job:complete');
    await monque.enqueue('ping', {});
    expect((await done).result).toBe('pong');
    await app.close();
    expect(monque.isRunning).toBe(false);
  });

  it('app.close() lets a running job finish and store its outcome', async () => {
    const db = await getDb();
    const { app, monque } = await bootApp(
      { imports: [MonqueModule.forRoot(rootOptions(db))], providers: [SlowExportProcessor] },
      { http: false },
    );
    SlowExportProcessor.release = deferred();
    const started = nextEvent(monque, 'job:start');
    const job = await monque.enqueue('slow-export', {});
    await started;
    setTimeout(() => SlowExportProcessor.release.resolve(), 200);
    await app.close();
    expect(SlowExportProcessor.finished).toBeGreaterThan(0);
    expect((await db.collection(monque.options.collectionName).findOne({ _id: job._id }))?.status).toBe(
      JobStatus.COMPLETED,
    );
  });

  it("drains before other modules' onApplicationShutdown close the connection the jobs write through", async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);

    /** The application's own client, closed in onApplicationShutdown as Mongoose and TypeORM do. */
    @Module({
      providers: [{ provide: 'DB_CLIENT', useFactory: () => new MongoClient(getTestUri()) }],
      exports: ['DB_CLIENT'],
    })
    class DatabaseModule implements OnApplicationShutdown {
      constructor(@Inject('DB_CLIENT') private readonly client: MongoClient) {}
      async onApplicationShutdown(): Promise<void> {
        await this.client.close();
      }
    }

    const { app, monque } = await bootApp(
      {
        imports: [
          DatabaseModule,
          MonqueModule.forRootAsync({
            imports: [DatabaseModule],
            inject: ['DB_CLIENT'],
            useFactory: (client: MongoClient) => ({
              db: client.db(db.databaseName),
              collectionName,
              ...FAST,
              unregisteredProcessors: 'ignore' as const,
            }),
          }),
        ],
        providers: [SlowExportProcessor],
      },
      { http: false },
    );
    SlowExportProcessor.release = deferred();
    const started = nextEvent(monque, 'job:start');
    const job = await monque.enqueue('slow-export', {});
    await started;
    setTimeout(() => SlowExportProcessor.release.resolve(), 200);
    await app.close();
    // Read with the test's own client: the job's outcome was written before DatabaseModule closed its client.
    expect((await db.collection(collectionName).findOne({ _id: job._id }))?.status).toBe(JobStatus.COMPLETED);
  });

  it('manualStart: processors registered, the scheduler waits for monque.start()', async () => {
    const db = await getDb();
    const { app, monque } = await bootApp(
      { imports: [MonqueModule.forRoot(rootOptions(db, { manualStart: true }))], providers: [PingProcessor] },
      { http: false },
    );
    expect(monque.isRunning).toBe(false);
    expect(app.get(MonqueLifecycle).role).toBe('producer');
    expect(() => monque.worker('ping', () => {})).toThrow(DuplicateWorkerError);
    const done = nextEvent(monque, 'job:complete');
    const job = await monque.enqueue('ping', {});
    await monque.start();
    expect(app.get(MonqueLifecycle).role).toBe('worker');
    expect((await done).job._id.equals(job._id)).toBe(true);
  });

  it('worker: false: a producer-only process enqueues, registers no processor and never starts', async () => {
    const db = await getDb();
    const { app, monque } = await bootApp(
      { imports: [MonqueModule.forRoot(rootOptions(db, { worker: false }))], providers: [PingProcessor] },
      { http: false },
    );
    expect(monque.isRunning).toBe(false);
    expect(app.get(MonqueLifecycle).role).toBe('producer');
    const job = await monque.enqueue('ping', {});
    expect((await monque.getJob(job._id))?.status).toBe(JobStatus.PENDING);
    // No processor was registered for 'ping': a handler can still be registered by hand.
    expect(() => monque.worker('ping', () => {})).not.toThrow();
    expect(app.get(Monque)).toBe(monque);
  });
});
