/**
 * Finds the `@Processor` classes among the application's providers and checks them before anything
 * is registered or written.
 */
import type { WorkerOptions } from '@monque/core';
import { Logger } from '@nestjs/common';
import type { DiscoveryService } from '@nestjs/core';
import { MonqueConfigurationCode, MonqueConfigurationError } from './configuration-error.js';
import { LOGGER_CONTEXT, PROCESS_METHOD } from './constants.js';
import type { UnregisteredProcessorsMode } from './module-options.js';
import { getProcessorMetadata } from './processor-decorator.js';
import { type ClassTarget, claimProcessorClass, decoratedProcessorClasses } from './processor-registry.js';

/** The part of Nest's `InstanceWrapper` used here. */
export interface ProviderWrapper {
  /** The provider's DI token. */
  readonly token: unknown;
  /** Its name (the class name, or the token's). */
  readonly name: unknown;
  /** The class of a class provider; the factory of a factory provider; `null` for a value. */
  readonly metatype: unknown;
  /** The dependencies of a factory provider. */
  readonly inject?: unknown;
  /** The application's instance (of a provider that is not per request). */
  readonly instance: unknown;
  /** Whether it is transient-scoped. */
  readonly isTransient: boolean;
  /** The module that provides it. */
  readonly host?: { readonly name?: unknown } | null;
  /** `false` when it, or a dependency, is request-scoped. */
  isDependencyTreeStatic(): boolean;
}

/** A checked `@Processor` provider. */
export interface ProcessorDefinition {
  /** The job name. */
  readonly name: string;
  /** The class. */
  readonly target: ClassTarget;
  /** Its DI token (the class, or the token of a custom provider). */
  readonly token: unknown;
  /** Core's worker options from `@Processor`. */
  readonly workerOptions: WorkerOptions | undefined;
  /** `true` when each job needs its own instance (request- or transient-scoped, or a dependency is). */
  readonly perJob: boolean;
  /** The application's instance (of a class that is not per job). */
  readonly instance: unknown;
  /** `ClassName (in ModuleName)`, for messages. */
  readonly label: string;
}

/**
 * The class behind a provider: its `metatype`, or for `useValue` and `useFactory` providers the
 * instance's constructor (as `@nestjs/bullmq` does).
 */
export function classOf(wrapper: ProviderWrapper): ClassTarget | undefined {
  const candidate =
    !wrapper.metatype || wrapper.inject ? (wrapper.instance as object | null)?.constructor : wrapper.metatype;
  return typeof candidate === 'function' ? candidate : undefined;
}

/** Whether each job (or event) needs its own instance of the provider. */
export function isPerJob(wrapper: ProviderWrapper): boolean {
  return wrapper.isTransient || !wrapper.isDependencyTreeStatic();
}

/** The methods a class declares that could be meant as `process` (no constructor, no lifecycle hooks). */
function otherMethods(target: ClassTarget): string[] {
  const prototype = target.prototype as object;
  const hooks =
    /^(onModuleInit|onApplicationBootstrap|onModuleDestroy|beforeApplicationShutdown|onApplicationShutdown)$/;
  return Object.getOwnPropertyNames(prototype).filter((key) => {
    if (key === 'constructor' || hooks.test(key)) return false;
    return typeof Object.getOwnPropertyDescriptor(prototype, key)?.value === 'function';
  });
}

function missingProcess(label: string, name: string, target: ClassTarget): MonqueConfigurationError {
  const base = `@Processor('${name}') on ${label}: the class has no ${PROCESS_METHOD}(job, context) method to run the job`;
  const candidates = otherMethods(target);
  const hint =
    candidates.length === 1
      ? `; rename ${candidates[0]}() to ${PROCESS_METHOD}()`
      : `; add async ${PROCESS_METHOD}(job: Job<Data>, context: JobContext) (implements MonqueProcessor<Data>)` +
        (candidates.length > 1 ? `, or rename one of ${candidates.join(', ')} to ${PROCESS_METHOD}` : '');
  return new MonqueConfigurationError(MonqueConfigurationCode.MISSING_PROCESS_METHOD, base + hint);
}

function check(wrapper: ProviderWrapper, target: ClassTarget): ProcessorDefinition {
  const metadata = getProcessorMetadata(target);
  const host = typeof wrapper.host?.name === 'string' ? wrapper.host.name : undefined;
  const label = host ? `${target.name} (in ${host})` : target.name;
  const name = metadata?.name;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new MonqueConfigurationError(
      MonqueConfigurationCode.INVALID_PROCESSOR_OPTIONS,
      `@Processor on ${label}: the job name must be a non-empty string, got ${JSON.stringify(name) ?? String(name)}`,
    );
  }
  if (typeof (target.prototype as Record<string, unknown>)[PROCESS_METHOD] !== 'function') {
    throw missingProcess(label, name, target);
  }
  const perJob = isPerJob(wrapper);
  return {
    name,
    target,
    token: wrapper.token,
    workerOptions: metadata?.workerOptions,
    perJob,
    instance: perJob ? undefined : wrapper.instance,
    label,
  };
}

function checkDuplicates(definitions: readonly ProcessorDefinition[]): void {
  const byName = new Map<string, ProcessorDefinition[]>();
  for (const definition of definitions)
    byName.set(definition.name, [...(byName.get(definition.name) ?? []), definition]);
  for (const [name, list] of byName) {
    if (list.length < 2) continue;
    const sameClass = list.every((definition) => definition.target === list[0]?.target);
    const labels = list.map((definition) => definition.label).join(', ');
    throw new MonqueConfigurationError(
      MonqueConfigurationCode.DUPLICATE_PROCESSOR,
      sameClass
        ? `job name '${name}' would run twice: ${labels}: the class is a provider of several modules; list it in the providers of one module only`
        : `job name '${name}' has more than one @Processor: ${labels}; each job name needs exactly one processor (merge them, or give each its own job name)`,
    );
  }
}

function checkUnregistered(found: readonly ProcessorDefinition[], mode: UnregisteredProcessorsMode): void {
  if (mode === 'ignore') return;
  const classes = new Set(found.map((definition) => definition.target));
  const names = new Set(found.map((definition) => definition.name));
  for (const target of decoratedProcessorClasses()) {
    const name = getProcessorMetadata(target)?.name;
    if (classes.has(target) || names.has(name as string)) continue;
    const message =
      `${target.name} is a @Processor('${String(name)}') but no module of this application provides it, so its jobs ` +
      `would never run here: add ${target.name} to the providers of its module (and import that module), or set ` +
      `unregisteredProcessors: 'ignore' in MonqueModule.forRoot() if another application runs it`;
    if (mode === 'warn') new Logger(LOGGER_CONTEXT).warn(message);
    else throw new MonqueConfigurationError(MonqueConfigurationCode.UNREGISTERED_PROCESSOR, message);
  }
}

/**
 * The application's `@Processor` providers, checked: each has a job name and a `process` method, no
 * job name has two, and (unless `unregisteredProcessors` says otherwise) every `@Processor` class
 * that was loaded is provided, or its job name is handled by another class.
 * @throws MonqueConfigurationError naming the class and saying what to change
 */
export function discoverProcessors(
  discovery: DiscoveryService,
  unregistered: UnregisteredProcessorsMode,
): ProcessorDefinition[] {
  const definitions: ProcessorDefinition[] = [];
  for (const wrapper of discovery.getProviders() as unknown as ProviderWrapper[]) {
    const target = classOf(wrapper);
    if (!target || !getProcessorMetadata(target)) continue;
    claimProcessorClass(target);
    definitions.push(check(wrapper, target));
  }
  checkDuplicates(definitions);
  checkUnregistered(definitions, unregistered);
  return definitions;
}
