/**
 * Runs one job in a DI context of its own, as Ts.ED runs an HTTP request.
 */
import type { Job } from '@monque/core';
import { DIContext, getAsyncStore, injector, logger, runInContext } from '@tsed/di';
import { MONQUE_JOB_CONTEXT_KEY } from './constants.js';
import type { JobDefinition } from './job-definitions.js';

/**
 * Calls the handler of `definition` for `job` inside a new `DIContext`: the job is stored in the
 * context under {@link MONQUE_JOB_CONTEXT_KEY}, a request-scoped class (and its request-scoped
 * dependencies) is built in the context's container, and the context is destroyed afterwards
 * (running `$onDestroy` of request-scoped instances). Rejects when the handler fails.
 */
export async function runJobInContext(definition: JobDefinition, job: Job): Promise<unknown> {
  const $ctx = new DIContext({
    id: job._id.toHexString(),
    logger: logger(),
    maxStackSize: 0,
    additionalProps: { logType: 'monque', jobName: job.name, jobId: job._id.toHexString() },
  });
  $ctx.set(MONQUE_JOB_CONTEXT_KEY, job);
  const run = async (): Promise<unknown> => {
    const instance = injector().invoke<Record<string, unknown>>(definition.provider.token, {
      locals: $ctx.container,
    });
    const handler = instance[definition.method] as (data: unknown, job: Job) => unknown;
    return await handler.call(instance, job.data, job);
  };
  try {
    // Leave any context the scheduler's timers were created in, so each job gets its own.
    return await getAsyncStore().exit(() => runInContext($ctx, run));
  } finally {
    await $ctx.destroy();
  }
}
