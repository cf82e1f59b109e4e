/**
 * Finds the `@Job` classes of the application and checks them, before anything is written.
 */
import { DuplicateWorkerError, InvalidArgumentError, validateCronExpression } from '@monque/core';
import { injector, type Provider } from '@tsed/di';
import { MonqueConfigurationCode, MonqueConfigurationError } from './configuration-error.js';
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

/** The methods a class declares that could handle a job (no constructor, no `$` lifecycle hooks, no accessors). */
export function candidateMethods(target: new (...args: never[]) => unknown): string[] {
  const prototype = target.prototype as object;
  return Object.getOwnPropertyNames(prototype).filter((key) => {
    if (key === 'constructor' || key.startsWith('$')) return false;
    const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
    return typeof descriptor?.value === 'function';
  });
}

function missingMethodMessage(options: JobOptions, className: string, target: new (...args: never[]) => unknown) {
  const method = options.method ?? 'handle';
  const base = `@Job('${options.name}') on ${className}: the class has no '${method}(data, job)' method to handle the job`;
  if (options.method !== undefined) return base;
  const candidates = candidateMethods(target);
  if (candidates.length === 1) return `${base}; to use ${candidates[0]}(), set method: '${candidates[0]}' in @Job`;
  if (candidates.length > 1) {
    return `${base}; rename one of its methods (${candidates.join(', ')}) to handle, or name it with method: '…' in @Job`;
  }
  return base;
}

function invalidOptions(options: JobOptions, className: string, message: string, cause?: unknown) {
  return new MonqueConfigurationError(
    MonqueConfigurationCode.INVALID_JOB_OPTIONS,
    `@Job('${options.name}') on ${className}: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}

function check(provider: Provider): JobDefinition {
  const target = provider.useClass as (new (...args: never[]) => unknown) | undefined;
  const className = target?.name ?? String(provider.name);
  const options = target ? getJobOptions(target) : undefined;
  if (!target || !options) {
    throw new MonqueConfigurationError(
      MonqueConfigurationCode.INVALID_JOB_OPTIONS,
      `${className} is a Monque job provider without @Job options`,
    );
  }
  if (typeof options.name !== 'string' || options.name.trim() === '') {
    throw new MonqueConfigurationError(
      MonqueConfigurationCode.INVALID_JOB_OPTIONS,
      `@Job on ${className}: 'name' must be a non-empty string`,
    );
  }
  const method = options.method ?? 'handle';
  const handler: unknown = (target.prototype as Record<string, unknown>)[method];
  if (typeof handler !== 'function') {
    throw new MonqueConfigurationError(
      MonqueConfigurationCode.MISSING_HANDLER_METHOD,
      missingMethodMessage(options, className, target),
    );
  }
  if (options.cron !== undefined) {
    try {
      validateCronExpression(options.cron);
    } catch (error) {
      throw invalidOptions(options, className, error instanceof Error ? error.message : String(error), error);
    }
  } else {
    const cronOnly = (['data', 'uniqueKey', 'timezone', 'priority'] as const).filter(
      (key) => options[key] !== undefined,
    );
    if (cronOnly.length > 0) {
      throw invalidOptions(
        options,
        className,
        `${cronOnly.map((key) => `'${key}'`).join(', ')} ${cronOnly.length === 1 ? 'applies' : 'apply'} to recurring jobs only; add 'cron' (one-off jobs take theirs from enqueue)`,
      );
    }
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
    throw invalidOptions(definition.options, definition.className, error.message, error);
  }
  throw error;
}
