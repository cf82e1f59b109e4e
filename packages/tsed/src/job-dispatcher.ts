/**
 * Typed dispatch: enqueue a job by its `@Job` class, with the payload type taken from the class.
 */
import { type EnqueueOptions, InvalidArgumentError, type Job, Monque, type ScheduleOptions } from '@monque/core';
import { inject, injectable } from '@tsed/di';
import { getJobOptions } from './job-decorator.js';

/** A class, as `@Job` decorates it. */
export type JobClass<I = unknown> = abstract new (...args: never[]) => I;

/**
 * The payload type of a `@Job` class: the type of its `handle` method's first parameter, or
 * `unknown` when the class has no `handle` (its method is named with `@Job({ method })`) or
 * `handle` declares no parameter.
 */
export type JobPayloadOf<C> =
  C extends JobClass<infer I> ? (I extends { handle(data: infer D, ...rest: never[]): unknown } ? D : unknown) : never;

/**
 * Enqueues jobs by their `@Job` class: `dispatcher.enqueue(SendEmailJob, { to })` checks the payload
 * against `SendEmailJob`'s `handle(data)` at compile time and takes the job name from `@Job`.
 * Options pass through to `Monque.enqueue` unchanged (`runAt`, `uniqueKey`, `priority`,
 * `maxRetries`, `backoff`, `timeout`, `session`).
 *
 * ```ts
 * @Injectable()
 * class SignupService {
 *   private readonly jobs = inject(JobDispatcher);
 *
 *   signUp(email: string) {
 *     return this.jobs.enqueue(SendEmailJob, { to: email, subject: 'Welcome!' }, { priority: 10 });
 *   }
 * }
 * ```
 */
export class JobDispatcher {
  private readonly monque = inject(Monque);

  /**
   * Adds a job for `jobClass` (see `Monque.enqueue`).
   * @throws InvalidArgumentError when `jobClass` is not a `@Job` class, or for bad data or options (nothing is written)
   * @throws ConnectionError when the database cannot be reached
   */
  enqueue<C extends JobClass>(
    jobClass: C,
    data: JobPayloadOf<C>,
    options?: EnqueueOptions,
  ): Promise<Job<JobPayloadOf<C>>> {
    return this.monque.enqueue<JobPayloadOf<C>>(jobNameOf(jobClass), data, options);
  }

  /**
   * Creates or updates a recurring job for `jobClass` (see `Monque.schedule`). A class with `cron`
   * in `@Job` is scheduled at boot already; this is for schedules decided at run time.
   * @throws InvalidArgumentError when `jobClass` is not a `@Job` class; InvalidCronError for a bad expression
   */
  schedule<C extends JobClass>(
    cron: string,
    jobClass: C,
    data: JobPayloadOf<C>,
    options?: ScheduleOptions,
  ): Promise<Job<JobPayloadOf<C>>> {
    return this.monque.schedule<JobPayloadOf<C>>(cron, jobNameOf(jobClass), data, options);
  }
}

/**
 * The job name `@Job` gave `jobClass`.
 * @throws InvalidArgumentError when it is not a `@Job` class
 */
export function jobNameOf(jobClass: JobClass): string {
  const options = typeof jobClass === 'function' ? getJobOptions(jobClass) : undefined;
  if (options === undefined) {
    const shown = typeof jobClass === 'function' ? jobClass.name || 'an anonymous class' : String(jobClass);
    throw new InvalidArgumentError('jobClass', `${shown} is not a @Job class`);
  }
  return options.name;
}

injectable(JobDispatcher);
