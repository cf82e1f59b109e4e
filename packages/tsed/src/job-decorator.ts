/**
 * The `@Job` class decorator and the reader of its metadata.
 */
import type { Job as CoreJob } from '@monque/core';
import { Store, type Type } from '@tsed/core';
import { injectable, ProviderScope } from '@tsed/di';
import { JOB_METADATA_KEY, MONQUE_JOB_PROVIDER_TYPE } from './constants.js';
import type { JobOptions } from './job-options.js';

/**
 * Declares a job handler class: a Ts.ED injectable (constructor and `@Inject()` property injection
 * work) whose `handle(data, job)` method runs every job named `options.name`.
 *
 * ```ts
 * @Job({ name: 'send-email', concurrency: 2 })
 * export class SendEmailJob {
 *   constructor(private readonly mailer: Mailer) {}
 *
 *   async handle(data: { to: string }, job: Job<{ to: string }>) {
 *     await this.mailer.send(data.to);
 *   }
 * }
 * ```
 *
 * The options are stored under {@link JOB_METADATA_KEY}; the module validates them at boot.
 * Unless the class declares its own scope (`scope` here, or `@Scope()`), it is request-scoped:
 * one instance per job, built in the job's DI context.
 */
export function Job(options: JobOptions): ClassDecorator {
  return (target) => {
    const store = Store.from(target);
    store.set(JOB_METADATA_KEY, { ...options });
    const builder = injectable(target as unknown as Type).type(MONQUE_JOB_PROVIDER_TYPE);
    if (options.scope !== undefined) builder.scope(options.scope);
    else if (!store.has('scope')) builder.scope(ProviderScope.REQUEST);
  };
}

/** The options `@Job` stored on `target`, or `undefined` when the class is not a job. */
export function getJobOptions(target: object): JobOptions | undefined {
  return Store.from(target).get<JobOptions | undefined>(JOB_METADATA_KEY);
}

/**
 * A job as handed to a handler: core's `Job<T>` document. Exported under the decorator's name so
 * that `import { Job } from '@monque/tsed'` gives both the decorator and the type.
 */
export type Job<T = unknown> = CoreJob<T>;
