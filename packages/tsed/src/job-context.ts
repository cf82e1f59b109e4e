/**
 * Access to the running job, and to its run's `{ signal, progress }`, from anywhere in its DI context.
 */
import type { Job, JobContext } from '@monque/core';
import { getContext } from '@tsed/di';
import { MONQUE_JOB_CONTEXT_KEY, MONQUE_RUN_CONTEXT_KEY } from './constants.js';

/**
 * The job being handled in the current DI context (also reachable as
 * `context().get(MONQUE_JOB_CONTEXT_KEY)`), or `undefined` outside a job.
 */
export function currentJob<T = unknown>(): Job<T> | undefined {
  return getContext()?.get<Job<T> | undefined>(MONQUE_JOB_CONTEXT_KEY);
}

/**
 * The handler context of the run in the current DI context — the same `{ signal, progress }` the
 * `@Job` method gets as its third argument — or `undefined` outside a job. Lets a service deep in
 * the call chain pass the run's `signal` on (to `fetch`, a driver call …) or report progress.
 */
export function currentJobContext(): JobContext | undefined {
  return getContext()?.get<JobContext | undefined>(MONQUE_RUN_CONTEXT_KEY);
}
