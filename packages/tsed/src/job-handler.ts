/**
 * The shape of a `@Job` class.
 */
import type { Job, JobContext } from '@monque/core';

/**
 * What a `@Job` class implements. `handle` receives the payload, the whole job document and core's
 * handler context `{ signal, progress }`; its return value (awaited when a promise) is stored as the
 * job's `result`; a throw or rejection fails the run (retried per the job's policy).
 * A class may name its method otherwise with `@Job({ name, method: 'run' })`.
 *
 * `T` is the payload type (also what `JobDispatcher.enqueue(TheClass, data)` checks), `R` the result.
 */
export interface JobHandlerClass<T = unknown, R = unknown> {
  handle(data: T, job: Job<T>, context: JobContext): R | Promise<R>;
}
