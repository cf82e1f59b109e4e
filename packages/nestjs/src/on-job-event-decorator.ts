/**
 * `@OnJobEvent`: a provider method that listens to the events of the application's `Monque`.
 */
import type { MonqueEventMap } from '@monque/core';
import { ON_JOB_EVENT_METADATA } from './constants.js';

/** Options of `@OnJobEvent`. */
export interface OnJobEventOptions {
  /**
   * Only events of jobs with this name. Events that concern no job name (`job:deleted`, `jobs:*`,
   * `wakeup:fallback`, a `job:error` without a job) always pass; `queue:paused`/`queue:resumed`
   * pass for this name and for every name (`name: null`).
   * @defaultValue in a `@Processor` class, its job name; elsewhere every name
   */
  name?: string;
}

/** One `@OnJobEvent` of a method, as stored under {@link ON_JOB_EVENT_METADATA}. */
export interface OnJobEventMetadata {
  /** The event listened to. */
  readonly event: keyof MonqueEventMap;
  /** The options given to `@OnJobEvent`. */
  readonly options: OnJobEventOptions;
}

/**
 * Calls the decorated method with the payload of every `event` the application's `Monque` emits
 * (`job:start`, `job:complete`, `job:fail`, `job:progress`, `job:cancelled`, `queue:paused` … see
 * core's `MonqueEventMap`). Works on any provider; on a `@Processor` class it hears the events of
 * that processor's job name only (as `@OnWorkerEvent` in `@nestjs/bullmq`). On a request- or
 * transient-scoped class, each event gets its own instance.
 *
 * Events are those of this process's instance (a job another process runs is reported there). A
 * method that throws or rejects never affects the job: core reports it as `job:error`.
 *
 * ```ts
 * @Injectable()
 * export class JobAlerts {
 *   @OnJobEvent('job:fail')
 *   onFail({ job, error, willRetry }: JobFailEvent) {
 *     if (!willRetry) this.pager.alert(`${job.name} failed for good: ${error.message}`);
 *   }
 * }
 * ```
 *
 * A method may carry several `@OnJobEvent`s.
 */
export function OnJobEvent<K extends keyof MonqueEventMap>(event: K, options: OnJobEventOptions = {}) {
  return <T extends (payload: MonqueEventMap[K]) => unknown>(
    _target: object,
    _key: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): void => {
    const method = descriptor.value as object;
    const previous = (Reflect.getOwnMetadata(ON_JOB_EVENT_METADATA, method) as OnJobEventMetadata[] | undefined) ?? [];
    const entry: OnJobEventMetadata = { event, options: { ...options } };
    Reflect.defineMetadata(ON_JOB_EVENT_METADATA, [...previous, entry], method);
  };
}

/** The `@OnJobEvent` entries of a method (none for other methods). */
export function getOnJobEventMetadata(method: unknown): readonly OnJobEventMetadata[] {
  if (typeof method !== 'function') return [];
  return (Reflect.getOwnMetadata(ON_JOB_EVENT_METADATA, method) as OnJobEventMetadata[] | undefined) ?? [];
}
