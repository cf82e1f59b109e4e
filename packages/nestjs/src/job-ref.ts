/**
 * The job, injected into a request- or transient-scoped processor and its scoped dependencies.
 */
import { REQUEST } from '@nestjs/core';

/**
 * Token of the job a request- or transient-scoped processor (and any request-scoped provider it
 * depends on) was built for: `constructor(@Inject(JOB_REF) private readonly job: Job<Data>)`. The
 * same token as Nest's `REQUEST` (as in `@nestjs/bullmq`): for each job, the module builds the
 * scoped providers in a DI sub-tree of their own, whose request is the job. For an `@OnJobEvent`
 * method of such a class, each event gets its own sub-tree, whose request is the event's job
 * (`job:start`'s payload, or the payload's `job`), or the payload itself when it has no job.
 */
export const JOB_REF: typeof REQUEST = REQUEST;
