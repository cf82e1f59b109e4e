/**
 * Options of the `@Job` class decorator.
 */
import type { RunPolicyOptions } from '@monque/core';
import type { ProviderScope } from '@tsed/di';

/**
 * What `@Job(options)` takes; stored under `JOB_METADATA_KEY`.
 *
 * `maxRetries`, `backoff` and `timeout` are the worker's defaults for every job of this name (a
 * job's own options, given to `enqueue`, win; then these; then the module's `maxRetries` /
 * `baseRetryInterval`). With `cron` they are also stored on the recurring job.
 */
export interface JobOptions extends RunPolicyOptions {
  /** The job name: jobs enqueued under this name run this class's handler. Unique per application. */
  name: string;
  /**
   * How many jobs of this name one instance runs at once.
   * @defaultValue the module's `defaultConcurrency` (5)
   */
  concurrency?: number;
  /**
   * A 5-field cron expression: the module schedules one recurring job of this name at boot. Every
   * boot and every instance updates that one job; none adds a second.
   */
  cron?: string;
  /**
   * IANA time zone the `cron` expression is read in.
   * @defaultValue `'UTC'`
   */
  timezone?: string;
  /**
   * Payload of each run of the recurring job (only with `cron`).
   * @defaultValue `{}`
   */
  data?: unknown;
  /** Identifies the recurring job together with `name` (only with `cron`); see core's `ScheduleOptions`. */
  uniqueKey?: string;
  /**
   * Priority of each occurrence of the recurring job among due jobs of its name (only with `cron`;
   * one-off jobs take theirs from `enqueue`).
   * @defaultValue 0
   */
  priority?: number;
  /**
   * The method that handles a job; it receives `(data, job, { signal, progress })`.
   * @defaultValue `'handle'`
   */
  method?: string;
  /**
   * The DI scope of the class. With `REQUEST` (the default) each job gets a new instance, built in
   * the job's own DI context, so request-scoped dependencies are fresh per job and destroyed after it.
   * With `SINGLETON` one instance, built at boot, handles every job.
   * @defaultValue `ProviderScope.REQUEST`
   */
  scope?: ProviderScope;
}
