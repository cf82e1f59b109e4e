/**
 * Runs one job on its processor: the application's instance, or one built for the job when the
 * class (or a dependency) is request- or transient-scoped.
 */
import type { Job, JobContext, JobHandler } from '@monque/core';
import { ContextIdFactory, type ModuleRef } from '@nestjs/core';
import { PROCESS_METHOD } from './constants.js';
import { runWithJob } from './job-context.js';
import type { ProcessorDefinition } from './processor-discovery.js';

type Process = (job: Job, context: JobContext) => unknown;

/**
 * A new instance of the provider `token` for one job (or event), in a DI sub-tree of its own whose
 * `REQUEST` (`JOB_REF`) is `request`: what Nest does for an HTTP request.
 */
export async function resolvePerJob(moduleRef: ModuleRef, token: unknown, request: unknown): Promise<unknown> {
  const contextId = ContextIdFactory.create();
  moduleRef.registerRequestByContextId(request, contextId);
  return moduleRef.resolve(token as never, contextId, { strict: false });
}

/**
 * The core handler for `definition`: calls `process(job, context)` with `job` as the current job
 * (`currentJob()`), on a per-job instance when the class needs one. Resolves with what `process`
 * returned (stored as the job's result); rejects when it throws or rejects.
 */
export function processorHandler(definition: ProcessorDefinition, moduleRef: ModuleRef): JobHandler {
  if (!definition.perJob) {
    const instance = definition.instance as Record<string, Process>;
    return (job, context) => runWithJob(job, context, () => instance[PROCESS_METHOD]?.call(instance, job, context));
  }
  return (job, context) =>
    runWithJob(job, context, async () => {
      const instance = (await resolvePerJob(moduleRef, definition.token, job)) as Record<string, Process>;
      return instance[PROCESS_METHOD]?.call(instance, job, context);
    });
}
