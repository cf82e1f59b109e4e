/**
 * A @Processor class that was loaded but that no module provides would never run its jobs: the
 * default fails the bootstrap saying so; 'warn' logs it; 'ignore' and producer-only processes say
 * nothing; a job name handled by another provided class is not reported.
 */
import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MonqueConfigurationCode, MonqueConfigurationError, MonqueModule, Processor } from '../src/index.js';
import { bootApp, bootError, rootOptions, useTestApps } from './helpers/app.js';

const getDb = useTestApps(import.meta.url);
afterEach(() => {
  vi.restoreAllMocks();
});

@Processor('welcome-email')
class WelcomeEmailProcessor {
  process(): void {}
}

/** Loaded, but forgotten in the module's providers. */
@Processor('weekly-digest')
class WeeklyDigestProcessor {
  process(): void {}
}

/** Handles the same job name as WeeklyDigestProcessor: providing it covers that name. */
@Processor('weekly-digest')
class WeeklyDigestV2Processor {
  process(): void {}
}

describe('a @Processor class no module provides', () => {
  it("by default ('error'): the bootstrap fails naming the class and how to register it", async () => {
    const error = await bootError({
      imports: [MonqueModule.forRoot(rootOptions(await getDb(), { unregisteredProcessors: undefined }))],
      providers: [WelcomeEmailProcessor],
    });
    expect(error).toBeInstanceOf(MonqueConfigurationError);
    expect((error as MonqueConfigurationError).configCode).toBe(MonqueConfigurationCode.UNREGISTERED_PROCESSOR);
    expect(error.message).toBe(
      "WeeklyDigestProcessor is a @Processor('weekly-digest') but no module of this application provides it, so its " +
        'jobs would never run here: add WeeklyDigestProcessor to the providers of its module (and import that module), ' +
        "or set unregisteredProcessors: 'ignore' in MonqueModule.forRoot() if another application runs it",
    );
  });

  it("'warn' logs the same message and boots; 'ignore' says nothing", async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    const db = await getDb();
    await bootApp(
      {
        imports: [MonqueModule.forRoot(rootOptions(db, { unregisteredProcessors: 'warn' }))],
        providers: [WelcomeEmailProcessor],
      },
      { http: false },
    );
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/^WeeklyDigestProcessor is a @Processor\('weekly-digest'\)/),
    );
    warn.mockClear();
    await bootApp(
      {
        imports: [MonqueModule.forRoot(rootOptions(db, { unregisteredProcessors: 'ignore' }))],
        providers: [WelcomeEmailProcessor],
      },
      { http: false },
    );
    expect(warn).not.toHaveBeenCalled();
  });

  it('is not reported when another provided class handles its job name, nor in a producer-only process', async () => {
    const db = await getDb();
    const { monque } = await bootApp(
      {
        imports: [MonqueModule.forRoot(rootOptions(db, { unregisteredProcessors: 'error' }))],
        providers: [WelcomeEmailProcessor, WeeklyDigestV2Processor],
      },
      { http: false },
    );
    expect(monque.isRunning).toBe(true);
    await bootApp(
      { imports: [MonqueModule.forRoot(rootOptions(db, { unregisteredProcessors: 'error', worker: false }))] },
      { http: false },
    );
    expect(WeeklyDigestProcessor).toBeTypeOf('function');
  });
});
