import { DITest, Provider } from '@tsed/di';
import { describe, expect, it } from 'vitest';
import { DuplicateJobHandlerError, Job, MonqueConfigurationError, MonqueError, MonqueModule } from '../src/index.js';
import { boot, forgetAfterTest, monqueSettings, useTestApp } from './helpers/app.js';

const getDb = useTestApp(import.meta.url);

/** Boots and returns the error the boot failed with. */
async function bootError(settings: Partial<TsED.Configuration>): Promise<unknown> {
  return boot(settings).then(
    () => new Error('expected the boot to fail'),
    (error: unknown) => error,
  );
}

describe('boot errors', () => {
  it('two @Job classes with one job name: DuplicateJobHandlerError naming both, nothing written', async () => {
    @Job({ name: 'report', cron: '0 * * * *' })
    class DailyReportJob {
      handle(): void {}
    }
    @Job({ name: 'report' })
    class WeeklyReportJob {
      handle(): void {}
    }
    forgetAfterTest(DailyReportJob, WeeklyReportJob);
    const db = await getDb();
    const settings = monqueSettings(db);
    const error = await bootError({ monque: settings });
    expect(error).toBeInstanceOf(DuplicateJobHandlerError);
    expect(error).toBeInstanceOf(MonqueError);
    expect((error as DuplicateJobHandlerError).jobName).toBe('report');
    expect((error as Error).message).toContain('DailyReportJob');
    expect((error as Error).message).toContain('WeeklyReportJob');
    expect(await db.collection(settings.collectionName as string).countDocuments()).toBe(0);
  });

  it('a @Job class without its handler method: MonqueConfigurationError naming the class and method', async () => {
    @Job({ name: 'no-method' })
    class ForgetfulJob {
      handel(): void {}
    }
    @Job({ name: 'no-run', method: 'run' })
    class NoRunJob {
      handle(): void {}
    }
    forgetAfterTest(ForgetfulJob);
    const db = await getDb();
    let error = await bootError({ monque: monqueSettings(db) });
    expect(error).toBeInstanceOf(MonqueConfigurationError);
    expect(error).toBeInstanceOf(MonqueError);
    expect((error as Error).message).toMatch(/ForgetfulJob.*'handle\(data, job\)'/);

    await DITest.reset();
    forgetAfterTest(NoRunJob);
    Provider.Registry.delete(ForgetfulJob);
    error = await bootError({ monque: monqueSettings(db) });
    expect((error as Error).message).toMatch(/NoRunJob.*'run\(data, job\)'/);
  });

  it('no connection configured: MonqueConfigurationError saying how to configure one', async () => {
    const error = await bootError({ monque: { pollInterval: 50 } });
    expect(error).toBeInstanceOf(MonqueConfigurationError);
    expect((error as Error).message).toMatch(/no connection configured/);
    await DITest.reset();
    expect(await bootError({})).toBeInstanceOf(MonqueConfigurationError);
  });

  it('a connection that is neither a Db nor a Mongoose connection is rejected', async () => {
    const error = await bootError({ imports: [MonqueModule.forRoot({ connection: { url: 'x' } as never })] });
    expect(error).toBeInstanceOf(MonqueConfigurationError);
    expect((error as Error).message).toMatch(/expected a Mongoose Connection or a mongodb Db/);
  });

  it('bad @Job options name the class: invalid cron, invalid concurrency, cron-only options without cron', async () => {
    const db = await getDb();
    @Job({ name: 'bad-cron', cron: '61 * * * *' })
    class BadCronJob {
      handle(): void {}
    }
    forgetAfterTest(BadCronJob);
    let error = await bootError({ monque: monqueSettings(db) });
    expect(error).toBeInstanceOf(MonqueConfigurationError);
    expect((error as Error).message).toMatch(/@Job\('bad-cron'\) on BadCronJob/);
    await DITest.reset();
    Provider.Registry.delete(BadCronJob);

    @Job({ name: 'bad-concurrency', concurrency: 0 })
    class BadConcurrencyJob {
      handle(): void {}
    }
    forgetAfterTest(BadConcurrencyJob);
    error = await bootError({ monque: monqueSettings(db) });
    expect(error).toBeInstanceOf(MonqueConfigurationError);
    expect((error as Error).message).toMatch(/BadConcurrencyJob.*concurrency/);
    await DITest.reset();
    Provider.Registry.delete(BadConcurrencyJob);

    @Job({ name: 'stray-data', data: { a: 1 } })
    class StrayDataJob {
      handle(): void {}
    }
    forgetAfterTest(StrayDataJob);
    error = await bootError({ monque: monqueSettings(db) });
    expect((error as Error).message).toMatch(/StrayDataJob.*add 'cron'/);
  });

  it('an unknown option is rejected by core with its name', async () => {
    const db = await getDb();
    const error = await bootError({ monque: { ...monqueSettings(db), pollIntervall: 5 } as never });
    expect(error).toBeInstanceOf(MonqueError);
    expect((error as Error).message).toMatch(/pollIntervall.*did you mean 'pollInterval'/);
  });
});
