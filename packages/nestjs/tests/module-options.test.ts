/**
 * The ways to configure the module: forRoot with a Db, a MongoClient (+ dbName) or a URI (the
 * module then owns, connects and closes the client), and forRootAsync with useFactory + inject +
 * imports, useClass and useExisting.
 */
import { freshCollectionName, getTestUri } from '@monque/test-backend';
import { Inject, Injectable, Module } from '@nestjs/common';
import { MongoClient } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectionError,
  MONQUE_CONNECTION,
  Monque,
  type MonqueConnection,
  MonqueModule,
  type MonqueModuleOptions,
  type MonqueOptionsFactory,
  Processor,
} from '../src/index.js';
import { bootApp, bootError, FAST, nextEvent, useTestApps } from './helpers/app.js';

const getDb = useTestApps(import.meta.url);
const clients: MongoClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

@Processor('echo')
class EchoProcessor {
  process(job: { data: unknown }): unknown {
    return job.data;
  }
}

/** A configuration service, as `@nestjs/config`'s ConfigService would be. */
@Injectable()
class AppConfig {
  static dbName = '';
  static collectionName = '';
  get(key: 'dbName' | 'collectionName'): string {
    return AppConfig[key];
  }
}
@Module({ providers: [AppConfig], exports: [AppConfig] })
class ConfigModule {}

/** A useClass / useExisting options factory, with its own dependency. */
@Injectable()
class MonqueConfig implements MonqueOptionsFactory {
  constructor(@Inject(AppConfig) private readonly config: AppConfig) {}
  createMonqueOptions(): MonqueModuleOptions {
    return {
      uri: getTestUri(),
      dbName: this.config.get('dbName'),
      collectionName: this.config.get('collectionName'),
      ...FAST,
    };
  }
}
@Module({ imports: [ConfigModule], providers: [MonqueConfig], exports: [MonqueConfig] })
class MonqueConfigModule {}

function uriWithDatabase(name: string): string {
  const uri = new URL(getTestUri());
  uri.pathname = `/${name}`;
  return uri.toString();
}

/** Boots an application with `monqueModule` and checks a job runs through it; returns the app. */
async function bootAndRun(monqueModule: ReturnType<typeof MonqueModule.forRoot>) {
  const booted = await bootApp({ imports: [monqueModule], providers: [EchoProcessor] }, { http: false });
  const done = nextEvent(booted.monque, 'job:complete');
  await booted.monque.enqueue('echo', { n: 1 });
  expect((await done).result).toEqual({ n: 1 });
  return booted;
}

async function configure(): Promise<{ dbName: string; collectionName: string }> {
  const db = await getDb();
  AppConfig.dbName = db.databaseName;
  AppConfig.collectionName = freshCollectionName(db);
  return { dbName: AppConfig.dbName, collectionName: AppConfig.collectionName };
}

describe('forRoot', () => {
  it('with a Db: jobs go to that database; the application owns (and keeps) the client', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const { app, monque } = await bootAndRun(MonqueModule.forRoot({ db, collectionName, ...FAST }));
    expect(monque.options.collectionName).toBe(collectionName);
    expect(await db.collection(collectionName).countDocuments({ name: 'echo' })).toBe(1);
    await app.close();
    expect(await db.command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  it('with a MongoClient and dbName (or the database of its URI); the client stays open', async () => {
    const { dbName, collectionName } = await configure();
    const client = new MongoClient(uriWithDatabase(dbName));
    clients.push(client);
    const first = await bootAndRun(MonqueModule.forRoot({ client, dbName, collectionName, ...FAST }));
    expect(first.app.get<MonqueConnection>(MONQUE_CONNECTION).db.databaseName).toBe(dbName);
    await first.app.close();
    const second = await bootAndRun(MonqueModule.forRoot({ client, collectionName, ...FAST }));
    expect(second.app.get<MonqueConnection>(MONQUE_CONNECTION)).toMatchObject({ ownedClient: undefined });
    expect(second.app.get<MonqueConnection>(MONQUE_CONNECTION).db.databaseName).toBe(dbName);
    await second.app.close();
    expect(await client.db(dbName).command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  it('with a URI: the module connects its own client at bootstrap and closes it on shutdown', async () => {
    const { dbName, collectionName } = await configure();
    const { app } = await bootAndRun(MonqueModule.forRoot({ uri: getTestUri(), dbName, collectionName, ...FAST }));
    const connection = app.get<MonqueConnection>(MONQUE_CONNECTION);
    expect(connection.db.databaseName).toBe(dbName);
    expect(await connection.db.command({ ping: 1 })).toMatchObject({ ok: 1 });
    await app.close();
    await expect(connection.db.command({ ping: 1 })).rejects.toThrow(/must be connected|closed/i);
  });

  it('with a URI nothing answers: the bootstrap fails with a ConnectionError', async () => {
    const error = await bootError({
      imports: [
        MonqueModule.forRoot({
          uri: 'mongodb://127.0.0.1:1/jobs?directConnection=true',
          clientOptions: { serverSelectionTimeoutMS: 300 },
        }),
      ],
    });
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/^MonqueModule could not connect with its uri: /);
  });

  it('global by default; global: false provides Monque to the importing module only', async () => {
    const db = await getDb();
    @Injectable()
    class Producer {
      constructor(@Inject(Monque) readonly monque: Monque) {}
    }
    @Module({ providers: [Producer], exports: [Producer] })
    class FeatureModule {}
    const error = await bootError({
      imports: [MonqueModule.forRoot({ db, ...FAST, global: false }), FeatureModule],
    });
    expect(error.message).toMatch(/Nest can't resolve dependencies of the Producer/);
    const { app } = await bootApp(
      {
        imports: [
          MonqueModule.forRoot({
            db,
            collectionName: freshCollectionName(db),
            ...FAST,
            unregisteredProcessors: 'ignore',
          }),
          FeatureModule,
        ],
      },
      { http: false },
    );
    expect(app.get(Producer).monque).toBe(app.get(Monque));
  });
});

describe('forRootAsync', () => {
  it('useFactory with inject and imports', async () => {
    await configure();
    const client = new MongoClient(getTestUri());
    clients.push(client);
    const { app, monque } = await bootAndRun(
      MonqueModule.forRootAsync({
        imports: [ConfigModule],
        inject: [AppConfig],
        useFactory: async (config: AppConfig) => ({
          db: client.db(config.get('dbName')),
          collectionName: config.get('collectionName'),
          ...FAST,
        }),
      }),
    );
    expect(monque.options.collectionName).toBe(AppConfig.collectionName);
    expect(app.get(Monque)).toBe(monque);
  });

  it('useClass: the module instantiates the factory class with its dependencies', async () => {
    await configure();
    const { app, monque } = await bootAndRun(
      MonqueModule.forRootAsync({ imports: [ConfigModule], useClass: MonqueConfig }),
    );
    expect(monque.options.collectionName).toBe(AppConfig.collectionName);
    // useClass with a uri: the module owns the client and closes it.
    const connection = app.get<MonqueConnection>(MONQUE_CONNECTION);
    expect(connection.ownedClient).toBeInstanceOf(MongoClient);
    await app.close();
    await expect(connection.db.command({ ping: 1 })).rejects.toThrow();
  });

  it('useExisting: a provider of an imported module creates the options', async () => {
    await configure();
    const { monque } = await bootAndRun(
      MonqueModule.forRootAsync({ imports: [MonqueConfigModule], useExisting: MonqueConfig }),
    );
    expect(monque.options.collectionName).toBe(AppConfig.collectionName);
  });
});
