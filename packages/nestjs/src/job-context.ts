/**
 * The running job, and its run's `{ signal, progress }`, from anywhere in the code a processor calls.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Job, JobContext } from '@monque/core';

interface RunningJob {
  readonly job: Job;
  readonly context: JobContext;
}

const storage = new AsyncLocalStorage<RunningJob>();

/** Runs `fn` with `job` and `context` as the current job (see {@link currentJob}). */
export function runWithJob<R>(job: Job, context: JobContext, fn: () => R): R {
  return storage.run({ job, context }, fn);
}

/**
 * The job whose `process` (or a service it called, directly or after an `await`) is running, or
 * `undefined` outside a job.
 */
export function currentJob<T = unknown>(): Job<T> | undefined {
  return storage.getStore()?.job as Job<T> | undefined;
}

/**
 * The handler context of the running job — the same `{ signal, progress }` that `process` gets as
 * its second argument — or `undefined` outside a job. Lets a service deep in the call chain pass
 * the run's `signal` on (to `fetch`, a driver call …) or report progress.
 */
export function currentJobContext(): JobContext | undefined {
  return storage.getStore()?.context;
}
