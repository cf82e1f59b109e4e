/**
 * The shape of a `@Job` class.
 */
import type { Job } from '@monque/core';

/**
 * What a `@Job` class implements. `handle` receives the payload and the whole job document; a
 * returned promise is awaited; a throw or rejection fails the run (retried with backoff).
 * A class may name its method otherwise with `@Job({ name, method: 'run' })`.
 */
export interface JobHandlerClass<T = unknown> {
  handle(data: T, job: Job<T>): unknown;
}
