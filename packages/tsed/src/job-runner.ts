/**
 * Runs one job in a DI context of its own, as Ts.ED runs an HTTP request.
 */
import type { Job, JobContext } from '@monque/core';
import { DIContext, getAsyncStore, injector, logger, runInContext } from '@tsed/di';
import { MONQUE_JOB_CONTEXT_KEY, MONQUE_RUN_CONTEXT_KEY } from './constants.js';
import type { JobDefinition } from './job-definitions.js';

/**
 * Calls the handler of `definition` with `(job.data, job, runContext)` inside a new `DIContext`:
 * the job and core's `{ signal, progress }` are stored in the context (under
 * {@link MONQUE_JOB_CONTEXT_KEY} and {@link MONQUE_RUN_CONTEXT_KEY}), a request-scoped class (and
 * its request-scoped dependencies) is built in the context's container, and the context is
 * destroyed afterwards (running `$onDestroy` of request-scoped instances). Resolves with what the
 * handler returned (core stores it as the job's result); rejects when the handler fails.
 */
export async function runJobInContext(definition: JobDefinition, job: Job, runContext: JobContext): Promise<unknown> {
  const $ctx = new DIContext({
    id: job._id.toHexString(),
    logger: logger(),
    maxStackSize: 0,
    additionalProps: { logType: 'monque', jobName: job.name, jobId: job._id.toHexString() },
  });
  $ctx.set(MONQUE_JOB_CONTEXT_KEY, job);
  $ctx.set(MONQUE_RUN_CONTEXT_KEY, runContext);
  const run = async (): Promise<unknown> => {
    const instance = injector().invoke<Record<string, unknown>>(definition.provider.token, {
      locals: $ctx.container,
    });
    const handler = instance[definition.method] as (data: unknown, job: Job, context: JobContext) => unknown;
    return await handler.call(instance, job.data, job, runContext);
  };
  try {
    // Leave any context the scheduler's timers were created in, so each job gets its own.
    return await getAsyncStore().exit(() => runInContext($ctx, run));
  } finally {
    await $ctx.destroy();
  }
}
