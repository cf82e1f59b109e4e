/**
 * `@Processor`: the class that runs every job of one name, and the interface it implements.
 */
import type { Job, JobContext, JobMap, JobNameOf, WorkerOptions } from '@monque/core';
import { Injectable, type Scope } from '@nestjs/common';
import { PROCESSOR_METADATA } from './constants.js';
import { type ClassTarget, guardBootstrap, recordProcessorClass } from './processor-registry.js';

/** The object form of `@Processor`'s first argument. */
export interface ProcessorOptions<N extends string = string> {
  /** The job name: jobs enqueued under this name run this class's `process`. Unique per application. */
  name: N;
  /**
   * The DI scope of the class (the same as `@Injectable({ scope })`). `Scope.REQUEST` or
   * `Scope.TRANSIENT` builds one instance per job, with `JOB_REF` (Nest's `REQUEST`) the job.
   * @defaultValue `Scope.DEFAULT` (one instance for the application), unless `@Injectable({ scope })` says otherwise
   */
  scope?: Scope;
}

/** What `@Processor` stores on the class, under {@link PROCESSOR_METADATA}. */
export interface ProcessorMetadata {
  /** The job name, as given (checked at bootstrap). */
  readonly name: string;
  /** The worker options, as given (checked by core at bootstrap). */
  readonly workerOptions: WorkerOptions | undefined;
}

/**
 * What a `@Processor` class implements. `process` receives the job and core's handler context
 * (`signal`, which aborts on timeout, cancellation, a lost lock or the shutdown deadline, and
 * `progress(value)`); its return value is stored as `job.result`; a throw or rejection fails the run,
 * which is retried per the job's policy (`UnrecoverableError` fails it at once).
 *
 * `T` is the payload type (`Jobs['send-email']` with typed jobs), `R` the result type.
 */
export interface MonqueProcessor<T = unknown, R = unknown> {
  /** Runs one job; resolves with its result (stored as `job.result`), or rejects to fail the run. */
  process(job: Job<T>, context: JobContext): R | Promise<R>;
}

/**
 * Declares the class that runs every job named `name`: a Nest provider (list it in a module's
 * `providers`) whose `process(job, context)` runs each job, with the class's dependencies injected as
 * anywhere else. `workerOptions` are core's worker options (`concurrency`, `maxRetries`, `backoff`,
 * `timeout` …), checked at bootstrap.
 *
 * ```ts
 * @Processor<Jobs>('send-email', { concurrency: 10, timeout: 30_000 })
 * export class SendEmailProcessor implements MonqueProcessor<Jobs['send-email']> {
 *   constructor(private readonly mailer: MailerService) {}
 *
 *   async process(job: Job<Jobs['send-email']>, { signal }: JobContext) {
 *     return this.mailer.send(job.data.to, { signal });
 *   }
 * }
 * ```
 *
 * With a job map `J` as type argument, `name` must be one of its job names. A request- or
 * transient-scoped class gets one instance per job; `@OnJobEvent` methods of a processor hear the
 * events of its own job name.
 */
export function Processor<J = JobMap>(name: JobNameOf<J>, workerOptions?: WorkerOptions): ClassDecorator;
/** The same, with the scope given here instead of in `@Injectable({ scope })`. */
export function Processor<J = JobMap>(
  options: ProcessorOptions<JobNameOf<J>>,
  workerOptions?: WorkerOptions,
): ClassDecorator;
export function Processor(nameOrOptions: string | ProcessorOptions, workerOptions?: WorkerOptions): ClassDecorator {
  const options: Partial<ProcessorOptions> =
    typeof nameOrOptions === 'object' && nameOrOptions !== null ? nameOrOptions : { name: nameOrOptions };
  return (target) => {
    const metadata: ProcessorMetadata = { name: options.name as string, workerOptions };
    Reflect.defineMetadata(PROCESSOR_METADATA, metadata, target);
    if (options.scope !== undefined) Injectable({ scope: options.scope })(target);
    recordProcessorClass(target);
    guardBootstrap(target, options.name);
  };
}

/** The `@Processor` metadata of `target`, or `undefined` when it is not a processor class. */
export function getProcessorMetadata(target: ClassTarget | undefined): ProcessorMetadata | undefined {
  if (typeof target !== 'function') return undefined;
  return Reflect.getOwnMetadata(PROCESSOR_METADATA, target) as ProcessorMetadata | undefined;
}
