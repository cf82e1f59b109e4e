/**
 * Options of `MonqueModule.forRoot()` and `MonqueModule.forRootAsync()`.
 */
import type { MonqueOptions } from '@monque/core';
import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import type { Db, MongoClient, MongoClientOptions } from 'mongodb';

/**
 * Where the jobs live: exactly one of `db`, `client` or `uri`.
 *
 * - `db`: a `Db` your application already has. You own its client (connect it, close it last).
 * - `client` (+ `dbName`): a `MongoClient` your application already has; you own it.
 * - `uri` (+ `dbName`, `clientOptions`): the module creates a `MongoClient`, connects it while the
 *   application bootstraps (so an unreachable server fails the boot), and closes it on shutdown,
 *   after the workers have drained.
 */
export interface MonqueConnectionOptions {
  /** A database of your own client. */
  db?: Db;
  /** A client of your own; the database is `dbName`, or the one its connection string names. */
  client?: MongoClient;
  /** A connection string (`mongodb://…` or `mongodb+srv://…`): the module owns the client it creates. */
  uri?: string;
  /**
   * The database, with `client` or `uri`.
   * @defaultValue the database named in the connection string (the driver's `test` when it names none)
   */
  dbName?: string;
  /**
   * Options of the `MongoClient` the module creates from `uri` (timeouts, TLS, `appName` …).
   * @defaultValue the driver's defaults
   */
  clientOptions?: MongoClientOptions;
}

/** What `@Processor` classes found in an application but not provided by any of its modules cause at bootstrap. */
export type UnregisteredProcessorsMode = 'error' | 'warn' | 'ignore';

/** Core's {@link MonqueOptions}, where the database is, and what this process does with jobs. */
export interface MonqueModuleOptions extends MonqueOptions, MonqueConnectionOptions {
  /**
   * Whether this process runs jobs. `false` makes a producer-only process (an API that only
   * enqueues): no `@Processor` is registered and the scheduler never starts; `Monque` is injectable
   * and its operations (enqueue, `getJobs`, `cancelJob` …) work.
   * @defaultValue true
   */
  worker?: boolean;
  /**
   * Register the `@Processor` classes at bootstrap but do not start the scheduler: the application
   * calls `monque.start()` itself (after a migration, once a leader is elected …). The module still
   * stops it on shutdown.
   * @defaultValue false
   */
  manualStart?: boolean;
  /**
   * A `@Processor` class that was loaded but is not a provider of any module, for a job name that no
   * provided processor handles, would never run its jobs. `'error'` fails the bootstrap, `'warn'`
   * logs it, `'ignore'` says nothing (when another application of the same code base runs it).
   * Not checked with `worker: false`.
   * @defaultValue `'error'`
   */
  unregisteredProcessors?: UnregisteredProcessorsMode;
}

/** `forRoot()`'s options: the module options, plus how the module is imported. */
export interface MonqueRootOptions extends MonqueModuleOptions {
  /**
   * Register the module globally, so `Monque` is injectable in every module (as `BullModule.forRoot`).
   * @defaultValue true
   */
  global?: boolean;
}

/** A class that creates the module options (`forRootAsync({ useClass })`, `forRootAsync({ useExisting })`). */
export interface MonqueOptionsFactory {
  /** The module options; may be asynchronous (read a secret, wait for a config service). */
  createMonqueOptions(): MonqueModuleOptions | Promise<MonqueModuleOptions>;
}

/**
 * `forRootAsync()`'s options: exactly one of `useFactory`, `useClass` or `useExisting`, in Nest's
 * usual shape.
 */
export interface MonqueModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Returns the module options; receives the providers listed in `inject`, in that order. */
  useFactory?: (...args: never[]) => MonqueModuleOptions | Promise<MonqueModuleOptions>;
  /**
   * Providers handed to `useFactory`.
   * @defaultValue none
   */
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  /** A class the module instantiates (with its own dependencies) to create the options. */
  useClass?: Type<MonqueOptionsFactory>;
  /** A provider of another module (listed in `imports`, or global) that creates the options. */
  useExisting?: InjectionToken<MonqueOptionsFactory>;
  /**
   * Register the module globally, so `Monque` is injectable in every module.
   * @defaultValue true
   */
  global?: boolean;
}
