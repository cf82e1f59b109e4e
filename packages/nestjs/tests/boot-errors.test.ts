/**
 * The mistakes a newcomer makes fail the bootstrap with a message that says what to change, and
 * nothing is written.
 */
import { Inject, Injectable, Module } from '@nestjs/common';
import type { Db } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  InjectMonque,
  InvalidArgumentError,
  Monque,
  MonqueConfigurationCode,
  type MonqueConfigurationCodeType,
  MonqueConfigurationError,
  MonqueErrorCode,
  MonqueModule,
  type MonqueModuleOptions,
  Processor,
} from '../src/index.js';
import { bootError, rootOptions, useTestApps } from './helpers/app.js';

const getDb = useTestApps(import.meta.url);

function expectCode(error: unknown, configCode: MonqueConfigurationCodeType): MonqueConfigurationError {
  expect(error).toBeInstanceOf(MonqueConfigurationError);
  expect((error as MonqueConfigurationError).configCode).toBe(configCode);
  expect((error as MonqueConfigurationError).code).toBe(MonqueErrorCode.INVALID_ARGUMENT);
  return error as MonqueConfigurationError;
}

/** The error `fn` throws (fails the test when it does not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

async function nothingWritten(db: Db, options: MonqueModuleOptions): Promise<void> {
  expect(await db.collection(options.collectionName as string).countDocuments()).toBe(0);
}

describe('processors', () => {
  it('two processors for one job name: both named, nothing written', async () => {
    @Processor('report')
    class DailyReportProcessor {
      process(): void {}
    }
    @Processor('report')
    class WeeklyReportProcessor {
      process(): void {}
    }
    const db = await getDb();
    const options = rootOptions(db);
    const error = await bootError({
      imports: [MonqueModule.forRoot(options)],
      providers: [DailyReportProcessor, WeeklyReportProcessor],
    });
    expectCode(error, MonqueConfigurationCode.DUPLICATE_PROCESSOR);
    expect(error.message).toBe(
      "job name 'report' has more than one @Processor: DailyReportProcessor (in RootTestModule), WeeklyReportProcessor (in RootTestModule); each job name needs exactly one processor (merge them, or give each its own job name)",
    );
    await nothingWritten(db, options);
  });

  it('one processor class provided by two modules: says to list it in one module', async () => {
    @Processor('invoice')
    class InvoiceProcessor {
      process(): void {}
    }
    @Module({ providers: [InvoiceProcessor] })
    class BillingModule {}
    @Module({ providers: [InvoiceProcessor] })
    class AccountsModule {}
    const error = await bootError({
      imports: [MonqueModule.forRoot(rootOptions(await getDb())), BillingModule, AccountsModule],
    });
    expectCode(error, MonqueConfigurationCode.DUPLICATE_PROCESSOR);
    expect(error.message).toMatch(/InvoiceProcessor \(in BillingModule\), InvoiceProcessor \(in AccountsModule\)/);
    expect(error.message).toMatch(/list it in the providers of one module only/);
  });

  it('a processor and a monque.worker() call for one job name', async () => {
    @Processor('sync-crm')
    class SyncCrmProcessor {
      process(): void {}
    }
    @Injectable()
    class HandMadeWorker {
      constructor(@InjectMonque() monque: Monque) {
        monque.worker('sync-crm', () => {});
      }
    }
    const error = await bootError({
      imports: [MonqueModule.forRoot(rootOptions(await getDb()))],
      providers: [HandMadeWorker, SyncCrmProcessor],
    });
    expectCode(error, MonqueConfigurationCode.DUPLICATE_PROCESSOR);
    expect(error.message).toMatch(
      /'sync-crm' has more than one handler: SyncCrmProcessor \(in RootTestModule\) and a monque.worker\(\) call/,
    );
  });

  it('a processor without process(): the error names the class and what to rename or add', async () => {
    @Processor('send-newsletter')
    class SendNewsletterProcessor {
      async handle(): Promise<void> {}
      onModuleInit(): void {}
    }
    @Processor('sync-erp')
    class SyncErpProcessor {
      pull(): void {}
      push(): void {}
    }
    @Processor('empty')
    class EmptyProcessor {}
    const cases: [new () => unknown, RegExp][] = [
      [
        SendNewsletterProcessor,
        /^@Processor\('send-newsletter'\) on SendNewsletterProcessor \(in RootTestModule\): .*; rename handle\(\) to process\(\)$/,
      ],
      [
        SyncErpProcessor,
        /; add async process\(job: Job<Data>, context: JobContext\) .*, or rename one of pull, push to process$/,
      ],
      [
        EmptyProcessor,
        /^@Processor\('empty'\) on EmptyProcessor \(in RootTestModule\): the class has no process\(job, context\) method to run the job; add async process/,
      ],
    ];
    for (const [processor, message] of cases) {
      const error = await bootError({
        imports: [MonqueModule.forRoot(rootOptions(await getDb()))],
        providers: [processor],
      });
      expectCode(error, MonqueConfigurationCode.MISSING_PROCESS_METHOD);
      expect(error.message).toMatch(message);
    }
  });

  it('bad worker options or an empty job name name the class and the option', async () => {
    @Processor('resize', { concurrency: 0 })
    class ResizeProcessor {
      process(): void {}
    }
    @Processor('', {})
    class NamelessProcessor {
      process(): void {}
    }
    let error = await bootError({
      imports: [MonqueModule.forRoot(rootOptions(await getDb()))],
      providers: [ResizeProcessor],
    });
    expectCode(error, MonqueConfigurationCode.INVALID_PROCESSOR_OPTIONS);
    expect(error.message).toMatch(
      /^@Processor\('resize'\) on ResizeProcessor \(in RootTestModule\): options\.concurrency: expected an integer/,
    );
    expect(error.cause).toBeInstanceOf(InvalidArgumentError);
    error = await bootError({
      imports: [MonqueModule.forRoot(rootOptions(await getDb()))],
      providers: [NamelessProcessor],
    });
    expectCode(error, MonqueConfigurationCode.INVALID_PROCESSOR_OPTIONS);
    expect(error.message).toMatch(
      /^@Processor on NamelessProcessor \(in RootTestModule\): the job name must be a non-empty string/,
    );
  });
});

describe('forRoot missing', () => {
  it('processors in an application that never imports MonqueModule', async () => {
    @Processor('orphan-job')
    class OrphanProcessor {
      static bootstrapped = false;
      process(): void {}
      onApplicationBootstrap(): void {
        OrphanProcessor.bootstrapped = true;
      }
    }
    const error = await bootError({ providers: [OrphanProcessor] });
    expectCode(error, MonqueConfigurationCode.FOR_ROOT_MISSING);
    expect(error.message).toMatch(
      /^OrphanProcessor is a @Processor\("orphan-job"\) but no MonqueModule runs it: import MonqueModule.forRoot\(/,
    );
    expect(OrphanProcessor.bootstrapped).toBe(false);
  });

  it("a processor's own onApplicationBootstrap still runs when MonqueModule is there", async () => {
    @Processor('hooked-job')
    class HookedProcessor {
      static bootstrapped = 0;
      process(): void {}
      onApplicationBootstrap(): void {
        HookedProcessor.bootstrapped += 1;
      }
    }
    const { bootApp } = await import('./helpers/app.js');
    await bootApp(
      { imports: [MonqueModule.forRoot(rootOptions(await getDb()))], providers: [HookedProcessor] },
      { http: false },
    );
    expect(HookedProcessor.bootstrapped).toBe(1);
  });

  it('MonqueModule imported without forRoot()', async () => {
    const error = await bootError({ imports: [MonqueModule] });
    expectCode(error, MonqueConfigurationCode.FOR_ROOT_MISSING);
    expect(error.message).toMatch(
      /^MonqueModule is imported without options: import MonqueModule.forRoot\(\{ uri \| db \| client, … \}\)/,
    );
  });

  it('@InjectMonque() without the module: Nest names Monque as the missing provider', async () => {
    @Injectable()
    class SignupService {
      constructor(@Inject(Monque) readonly monque: Monque) {}
    }
    const error = await bootError({ providers: [SignupService] });
    expect(error.message).toMatch(
      /Nest can't resolve dependencies of the SignupService \(\?\)\. Please make sure that the argument Monque at index \[0\]/,
    );
  });
});

describe('module options', () => {
  it('a misspelt option gets a suggestion (module options and core options alike)', () => {
    const db = { collection: () => ({}), databaseName: 'x' } as unknown as Db;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ db, pollIntervall: 5 }, /pollIntervall: unknown option \(did you mean 'pollInterval'\?\)/],
      [{ db, workers: false }, /workers: unknown option \(did you mean 'worker'\?\)/],
      [{ url: 'mongodb://x' }, /url: unknown option \(did you mean 'uri'\?\)/],
      [{ db, manualstart: true }, /manualstart: unknown option \(did you mean 'manualStart'\?\)/],
      [{ db, concurrency: 5 }, /concurrency: unknown option \(did you mean 'defaultConcurrency'\?\)/],
      [{ db, dbname: 'x' }, /dbname: unknown option \(did you mean 'dbName'\?\)/],
    ];
    for (const [options, message] of cases) {
      const error = expectCode(
        thrown(() => MonqueModule.forRoot(options as MonqueModuleOptions)),
        MonqueConfigurationCode.INVALID_MODULE_OPTION,
      );
      expect(error.message).toMatch(/^MonqueModule\.forRoot\(\): /);
      expect(error.message).toMatch(message);
    }
  });

  it('forRootAsync: misspelt or misplaced keys, and bad options from the factory at bootstrap', async () => {
    let error = thrown(() => MonqueModule.forRootAsync({ useFactroy: () => ({}) } as never));
    expectCode(error, MonqueConfigurationCode.INVALID_MODULE_OPTION);
    expect(error.message).toMatch(/useFactroy: unknown option \(did you mean 'useFactory'\?\)/);
    error = thrown(() => MonqueModule.forRootAsync({ useFactory: () => ({}), collectionName: 'jobs' } as never));
    expect(error.message).toMatch(/collectionName is a module option: return it from useFactory/);
    error = thrown(() => MonqueModule.forRootAsync({}));
    expect(error.message).toMatch(/give exactly one of useFactory, useClass or useExisting$/);
    const asyncCases: [unknown, RegExp][] = [
      [{ useFactory: () => ({}), useClass: class {} }, /exactly one of .* \(got useFactory, useClass\)/],
      [{ useFactory: 'options' }, /useFactory: expected a function/],
      [{ useClass: 'MonqueConfig' }, /useClass: expected a class/],
      [{ useClass: class {}, inject: [] }, /inject: expected an array of tokens, given with useFactory/],
      [{ useFactory: () => ({}), inject: 'ConfigService' }, /inject: expected an array of tokens/],
      [{ useFactory: () => ({}), global: 'yes' }, /global: expected true or false/],
      ['options', /expected an object, got 'options'/],
    ];
    for (const [options, message] of asyncCases) {
      error = expectCode(
        thrown(() => MonqueModule.forRootAsync(options as never)),
        MonqueConfigurationCode.INVALID_MODULE_OPTION,
      );
      expect(error.message).toMatch(message);
    }

    const db = await getDb();
    error = await bootError({
      imports: [MonqueModule.forRootAsync({ useFactory: () => ({ db, pollIntervall: 5 }) as MonqueModuleOptions })],
    });
    expectCode(error, MonqueConfigurationCode.INVALID_MODULE_OPTION);
    expect(error.message).toMatch(
      /^the options MonqueModule.forRootAsync\(\) created: pollIntervall: unknown option \(did you mean 'pollInterval'\?\)/,
    );
    error = await bootError({
      imports: [MonqueModule.forRootAsync({ useFactory: () => ({ db, global: false }) as MonqueModuleOptions })],
    });
    expect(error.message).toMatch(/'global' decides how the module is imported/);

    @Injectable()
    class NotAFactory {}
    error = await bootError({ imports: [MonqueModule.forRootAsync({ useClass: NotAFactory as never })] });
    expect(error.message).toMatch(
      /NotAFactory has no createMonqueOptions\(\) method \(implement MonqueOptionsFactory\)/,
    );
  });

  it('the connection: none, several, or of the wrong kind', () => {
    const db = { collection: () => ({}), databaseName: 'x' } as unknown as Db;
    const cases: [Record<string, unknown>, MonqueConfigurationCodeType, RegExp][] = [
      [
        { pollInterval: 50 },
        MonqueConfigurationCode.NO_CONNECTION,
        /no database given: set one of db .*, client \(\+ dbName\) or uri/,
      ],
      [{ db, uri: 'mongodb://x' }, MonqueConfigurationCode.INVALID_CONNECTION, /db and uri are given; set only one/],
      [
        { uri: 'localhost:27017' },
        MonqueConfigurationCode.INVALID_CONNECTION,
        /uri: expected a connection string starting with mongodb:\/\//,
      ],
      [
        { client: 'mongodb://x' },
        MonqueConfigurationCode.INVALID_CONNECTION,
        /client: expected a MongoClient, got 'mongodb:\/\/x' \(a connection string goes in 'uri'\)/,
      ],
      [{ db: {} }, MonqueConfigurationCode.INVALID_CONNECTION, /db: expected a mongodb Db, got a Object/],
      [
        { db, dbName: 'jobs' },
        MonqueConfigurationCode.INVALID_CONNECTION,
        /dbName goes with client or uri; .*client\.db\('jobs'\)/,
      ],
      [
        { uri: 'mongodb://x', dbName: 'a.b' },
        MonqueConfigurationCode.INVALID_CONNECTION,
        /dbName: expected a database name/,
      ],
      [{ db, clientOptions: {} }, MonqueConfigurationCode.INVALID_CONNECTION, /clientOptions goes with uri/],
      [{ db, worker: 'no' }, MonqueConfigurationCode.INVALID_MODULE_OPTION, /worker: expected true or false, got 'no'/],
      [
        { db, worker: false, manualStart: true },
        MonqueConfigurationCode.INVALID_MODULE_OPTION,
        /manualStart has no effect with worker: false/,
      ],
      [
        { db, unregisteredProcessors: 'off' },
        MonqueConfigurationCode.INVALID_MODULE_OPTION,
        /expected 'error', 'warn' or 'ignore', got 'off'/,
      ],
      [{ db, global: 'yes' }, MonqueConfigurationCode.INVALID_MODULE_OPTION, /global: expected true or false/],
    ];
    for (const [options, code, message] of cases) {
      const error = expectCode(
        thrown(() => MonqueModule.forRoot(options as MonqueModuleOptions)),
        code,
      );
      expect(error.message).toMatch(message);
    }
    expectCode(
      thrown(() => MonqueModule.forRoot(undefined as never)),
      MonqueConfigurationCode.INVALID_MODULE_OPTION,
    );
  });

  it("a bad core option is core's InvalidArgumentError, at bootstrap", async () => {
    const error = await bootError({ imports: [MonqueModule.forRoot({ db: await getDb(), pollInterval: -1 })] });
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toMatch(/options\.pollInterval/);
  });
});
