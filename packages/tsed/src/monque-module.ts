/**
 * The Ts.ED module: provides `Monque`, registers the `@Job` classes and runs the scheduler with the
 * application's lifecycle.
 */
import { Monque, type RunPolicyOptions } from '@monque/core';
import { inject, injectable, logger, ProviderType, type UseImportTokenProviderOpts } from '@tsed/di';
import { MONQUE_MODULE_OPTIONS } from './constants.js';
import { guardAgainstDuplicateDi } from './duplicate-di-guard.js';
import { logFailures } from './failure-log.js';
import { collectJobDefinitions, explain, type JobDefinition } from './job-definitions.js';
import { runJobInContext } from './job-runner.js';
import type { MonqueModuleOptions } from './module-options.js';
import { createMonque, readModuleOptions, releaseConnection } from './module-settings.js';

/**
 * Loaded by importing `@monque/tsed`. Configure it with the `monque` key of the server
 * configuration or with `imports: [MonqueModule.forRoot(options)]`.
 *
 * Lifecycle:
 * - `$onInit`: checks every `@Job` class (duplicate names, missing handler method, bad options are
 *   thrown here, so boot fails), registers their workers, schedules their `cron` jobs (one
 *   recurring job per name, whatever the number of boots and instances), then starts the scheduler.
 *   With `disableJobProcessing` it only schedules the `cron` jobs. Unless `logFailures: false`,
 *   failed runs are logged through Ts.ED's logger from here on.
 * - `$onDestroy`: stops the scheduler, waiting up to `shutdownTimeout` for running jobs.
 *
 * Outside a platform (DI only, a CLI) `$onInit` runs when the injector loads; {@link start} and
 * {@link stop} control the scheduler by hand, e.g. to process jobs in a process configured with
 * `disableJobProcessing`.
 */
export class MonqueModule {
  private readonly monque = inject(Monque);
  private readonly options = readModuleOptions();
  private workersRegistered = false;
  private processing = false;
  private stopLoggingFailures: (() => void) | undefined;

  /**
   * The module options as an entry of `imports`: `imports: [MonqueModule.forRoot({ connection })]`.
   * They take precedence over the `monque` configuration key.
   */
  static forRoot(options: MonqueModuleOptions): UseImportTokenProviderOpts {
    return { token: MONQUE_MODULE_OPTIONS, use: options };
  }

  /** Registers the jobs, schedules the `cron` ones and (unless `disableJobProcessing`) starts processing. */
  async $onInit(): Promise<void> {
    const definitions = collectJobDefinitions();
    const processing = this.options.disableJobProcessing !== true;
    if (processing) this.registerWorkers(definitions);
    await this.scheduleCronJobs(definitions);
    if (this.options.logFailures !== false) this.stopLoggingFailures ??= logFailures(this.monque);
    if (processing) {
      this.processing = true;
      await this.monque.start();
    }
    logger().info({
      event: 'MONQUE_READY',
      jobs: definitions.map((definition) => definition.options.name),
      processing,
    });
  }

  /** Stops the scheduler gracefully (see core's `stop()`). */
  async $onDestroy(): Promise<void> {
    await this.monque.stop();
    this.stopLoggingFailures?.();
    this.stopLoggingFailures = undefined;
    releaseConnection(this.monque);
  }

  /**
   * What this process does with jobs: `'worker'` while it processes them (the module started the
   * scheduler, or {@link start} was called), `'producer'` otherwise (`disableJobProcessing`, or
   * after {@link stop}). A worker whose scheduler fails is still a worker: see `MonqueHealth`.
   */
  get role(): 'worker' | 'producer' {
    return this.processing ? 'worker' : 'producer';
  }

  /**
   * Starts processing now: registers the `@Job` workers if `$onInit` did not (producer-only mode),
   * then starts the scheduler. Harmless when it is running.
   */
  async start(): Promise<void> {
    if (!this.workersRegistered) this.registerWorkers(collectJobDefinitions());
    this.processing = true;
    await this.monque.start();
  }

  /** Stops the scheduler gracefully; {@link start} starts it again. */
  stop(): Promise<void> {
    this.processing = false;
    return this.monque.stop();
  }

  private registerWorkers(definitions: readonly JobDefinition[]): void {
    for (const definition of definitions) {
      const { name, concurrency } = definition.options;
      try {
        this.monque.worker(name, (job, context) => runJobInContext(definition, job, context), {
          ...defined({ concurrency }),
          ...runPolicy(definition),
        });
      } catch (error) {
        explain(definition, error);
      }
    }
    this.workersRegistered = true;
  }

  private async scheduleCronJobs(definitions: readonly JobDefinition[]): Promise<void> {
    for (const definition of definitions) {
      const { cron, name, data, uniqueKey, timezone, priority } = definition.options;
      if (cron === undefined) continue;
      try {
        await this.monque.schedule(cron, name, data ?? {}, {
          ...defined({ uniqueKey, timezone, priority }),
          ...runPolicy(definition),
        });
      } catch (error) {
        explain(definition, error);
      }
    }
  }
}

/** `values` without its `undefined` entries (core rejects options given as `undefined` nowhere, but keeps stored documents lean). */
function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The retry and time-limit settings of a `@Job` class. */
function runPolicy({ options }: JobDefinition): RunPolicyOptions {
  const { maxRetries, backoff, timeout } = options;
  return defined({ maxRetries, backoff, timeout });
}

injectable(MonqueModule).type(ProviderType.MODULE);
injectable(Monque).asyncFactory(createMonque);
guardAgainstDuplicateDi();
