/**
 * Finds the `@Job` classes of the application and checks them, before anything is written.
 */
import { DuplicateWorkerError, InvalidArgumentError, validateCronExpression } from '@monque/core';
import { injector, type Provider } from '@tsed/di';
import { MonqueConfigurationError } from './configuration-error.js';
import { MONQUE_JOB_PROVIDER_TYPE } from './constants.js';
import { DuplicateJobHandlerError } from './duplicate-job-handler-error.js';
import { getJobOptions } from './job-decorator.js';
import type { JobOptions } from './job-options.js';

/** A checked `@Job` class. */
export interface JobDefinition {
  /** Its DI provider. */
  readonly provider: Provider;
  /** Its class name, for messages. */
  readonly className: string;
  /** Its `@Job` options. */
  readonly options: JobOptions;
  /** The name of its handler method. */
  readonly method: string;
}

function check(provider: Provider): JobDefinition {
  const target = provider.useClass as (new (...args: never[]) => unknown) | undefined;
  const className = target?.name ?? String(provider.name);
  const options = target ? getJobOptions(target) : undefined;
  if (!target || !options)
    throw new MonqueConfigurationError(`${className} is a Monque job provider without @Job options`);
  if (typeof options.name !== 'string' || options.name.trim() === '') {
    throw new MonqueConfigurationError(`@Job on ${className}: 'name' must be a non-empty string`);
  }
  const method = options.method ?? 'handle';
  const handler: unknown = (target.prototype as Record<string, unknown>)[method];
  if (typeof handler !== 'function') {
    throw new MonqueConfigurationError(
      `@Job('${options.name}') on ${className}: the class has no '${method}(data, job)' method to handle the job`,
    );
  }
  if (options.cron !== undefined) {
    try {
      validateCronExpression(options.cron);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new MonqueConfigurationError(`@Job('${options.name}') on ${className}: ${message}`, { cause: error });
    }
  } else if (options.data !== undefined || options.uniqueKey !== undefined || options.timezone !== undefined) {
    throw new MonqueConfigurationError(
      `@Job('${options.name}') on ${className}: 'data', 'uniqueKey' and 'timezone' apply to recurring jobs; add 'cron'`,
    );
  }
  return { provider, className, options, method };
}

/**
 * The `@Job` classes known to the injector, checked: each has a name and its handler method, cron
 * expressions are valid, and no two classes share a job name.
 * @throws MonqueConfigurationError or DuplicateJobHandlerError, naming the class
 */
export function collectJobDefinitions(): JobDefinition[] {
  const definitions = injector().providers.getMany(MONQUE_JOB_PROVIDER_TYPE).map(check);
  const byName = new Map<string, string[]>();
  for (const { options, className } of definitions) {
    byName.set(options.name, [...(byName.get(options.name) ?? []), className]);
  }
  for (const [name, classes] of byName) {
    if (classes.length > 1) throw new DuplicateJobHandlerError(name, classes);
  }
  return definitions;
}

/**
 * Rethrows an error core raised while registering or scheduling `definition`, naming the class when
 * the fault is in its options (other errors, e.g. a lost connection, pass through unchanged).
 */
export function explain(definition: JobDefinition, error: unknown): never {
  if (error instanceof DuplicateWorkerError) {
    throw new DuplicateJobHandlerError(definition.options.name, [definition.className, 'monque.worker()']);
  }
  if (error instanceof InvalidArgumentError) {
    throw new MonqueConfigurationError(
      `@Job('${definition.options.name}') on ${definition.className}: ${error.message}`,
      { cause: error },
    );
  }
  throw error;
}
