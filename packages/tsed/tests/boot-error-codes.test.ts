import { DITest, Provider } from '@tsed/di';
import { describe, expect, it } from 'vitest';
import {
  Job,
  MonqueConfigurationCode,
  type MonqueConfigurationCodeType,
  MonqueConfigurationError,
  MonqueErrorCode,
  MonqueModule,
} from '../src/index.js';
import { boot, forgetAfterTest, monqueSettings, useTestApp } from './helpers/app.js';

const getDb = useTestApp(import.meta.url);

/** Boots with `settings` and returns the configuration error it failed with. */
async function configurationError(settings: Partial<TsED.Configuration>): Promise<MonqueConfigurationError> {
  const error = await boot(settings).then(
    () => new Error('expected the boot to fail'),
    (failure: unknown) => failure,
  );
  await DITest.reset();
  expect(error).toBeInstanceOf(MonqueConfigurationError);
  return error as MonqueConfigurationError;
}

/** Declares `classes` for this test only. */
function only(...classes: (new () => unknown)[]): void {
  forgetAfterTest(...classes);
}

function expectCode(error: MonqueConfigurationError, configCode: MonqueConfigurationCodeType): void {
  expect(error.configCode).toBe(configCode);
  expect(error.code).toBe(MonqueErrorCode.INVALID_ARGUMENT);
}

describe('boot errors: hints and codes', () => {
  it('a class without handle() but with one other method suggests method: that one', async () => {
    @Job({ name: 'send-newsletter' })
    class SendNewsletterJob {
      async send(): Promise<void> {}
      $onDestroy(): void {}
    }
    only(SendNewsletterJob);
    const error = await configurationError({ monque: monqueSettings(await getDb()) });
    expectCode(error, MonqueConfigurationCode.MISSING_HANDLER_METHOD);
    expect(error.message).toMatch(/SendNewsletterJob.*no 'handle\(data, job\)' method/);
    expect(error.message).toContain("set method: 'send' in @Job");
    Provider.Registry.delete(SendNewsletterJob);
  });

  it('a class without handle() and several methods lists them; a missing named method names it', async () => {
    @Job({ name: 'sync-crm' })
    class SyncCrmJob {
      pull(): void {}
      push(): void {}
      get label(): string {
        return 'crm';
      }
    }
    only(SyncCrmJob);
    let error = await configurationError({ monque: monqueSettings(await getDb()) });
    expectCode(error, MonqueConfigurationCode.MISSING_HANDLER_METHOD);
    expect(error.message).toContain('(pull, push)');
    Provider.Registry.delete(SyncCrmJob);

    @Job({ name: 'sync-erp', method: 'run' })
    class SyncErpJob {
      execute(): void {}
    }
    only(SyncErpJob);
    error = await configurationError({ monque: monqueSettings(await getDb()) });
    expectCode(error, MonqueConfigurationCode.MISSING_HANDLER_METHOD);
    expect(error.message).toMatch(/SyncErpJob: the class has no 'run\(data, job\)' method to handle the job$/);
  });

  it('bad @Job options: INVALID_JOB_OPTIONS naming the class (cron, retry policy, cron-only options)', async () => {
    const db = await getDb();
    @Job({ name: 'bad-cron', cron: 'every day' })
    class BadCronJob {
      handle(): void {}
    }
    only(BadCronJob);
    let error = await configurationError({ monque: monqueSettings(db) });
    expectCode(error, MonqueConfigurationCode.INVALID_JOB_OPTIONS);
    expect(error.message).toMatch(/^@Job\('bad-cron'\) on BadCronJob: /);
    Provider.Registry.delete(BadCronJob);

    @Job({ name: 'bad-retries', maxRetries: -1 })
    class BadRetriesJob {
      handle(): void {}
    }
    only(BadRetriesJob);
    error = await configurationError({ monque: monqueSettings(db) });
    expectCode(error, MonqueConfigurationCode.INVALID_JOB_OPTIONS);
    expect(error.message).toMatch(/BadRetriesJob.*maxRetries/);
    Provider.Registry.delete(BadRetriesJob);

    @Job({ name: 'one-off', priority: 5 })
    class PriorityWithoutCronJob {
      handle(): void {}
    }
    only(PriorityWithoutCronJob);
    error = await configurationError({ monque: monqueSettings(db) });
    expectCode(error, MonqueConfigurationCode.INVALID_JOB_OPTIONS);
    expect(error.message).toMatch(/PriorityWithoutCronJob: 'priority' applies to recurring jobs only; add 'cron'/);
  });

  it('connection problems each have their code', async () => {
    expectCode(await configurationError({ monque: { pollInterval: 50 } }), MonqueConfigurationCode.NO_CONNECTION);
    expectCode(
      await configurationError({ imports: [MonqueModule.forRoot({ connection: 'mongodb://x' as never })] }),
      MonqueConfigurationCode.INVALID_CONNECTION,
    );
    const error = await configurationError({ monque: { connectionId: 'jobs' } });
    expectCode(error, MonqueConfigurationCode.UNKNOWN_CONNECTION_ID);
    expect(error.message).toMatch(/@tsed\/mongoose is not loaded/);
  });

  it('bad Ts.ED-only options: INVALID_MODULE_OPTION naming the option and value', async () => {
    const db = await getDb();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ connectionTimeout: -5 }, /monque\.connectionTimeout: expected a positive number of ms, got -5/],
      [{ connectionTimeout: '30s' }, /monque\.connectionTimeout: .* got '30s'/],
      [{ logFailures: 'no' }, /monque\.logFailures: expected true or false, got 'no'/],
      [{ disableJobProcessing: 1 }, /monque\.disableJobProcessing: expected true or false, got 1/],
      [{ connectionId: '' }, /monque\.connectionId: expected a non-empty string/],
    ];
    for (const [extra, message] of cases) {
      const error = await configurationError({ monque: { ...monqueSettings(db), ...extra } });
      expectCode(error, MonqueConfigurationCode.INVALID_MODULE_OPTION);
      expect(error.message).toMatch(message);
    }
  });
});
