/**
 * Operating the queue from a Ts.ED controller: list failed jobs, retry or cancel one, pause a queue.
 */
// #region controller
import { InvalidArgumentError, JobStateError, Monque } from '@monque/tsed';
import { Controller, inject } from '@tsed/di';
import { BadRequest, Conflict, NotFound } from '@tsed/exceptions';
import { PathParams, QueryParams } from '@tsed/platform-params';
import { Get, Post } from '@tsed/schema';

@Controller('/admin/jobs')
export class JobsController {
  private readonly monque = inject(Monque);

  /** Failed jobs, newest first, 50 a page: pass `nextCursor` back as `cursor` for the next page. */
  @Get('/failed')
  async failed(@QueryParams('name') name?: string, @QueryParams('cursor') cursor?: string) {
    const { jobs, nextCursor } = await this.monque.getJobs(
      { status: 'failed', ...(name ? { name } : {}) },
      { limit: 50, ...(cursor ? { cursor } : {}) },
    );
    return {
      jobs: jobs.map((job) => ({
        id: job._id.toHexString(),
        name: job.name,
        failReason: job.failReason,
        failCount: job.failCount,
        failedAt: job.updatedAt,
      })),
      nextCursor,
    };
  }

  /** Runs a failed or cancelled job again, now. */
  @Post('/:id/retry')
  async retry(@PathParams('id') id: string) {
    const job = await this.monque.retryJob(id).catch(toHttpError);
    if (!job) throw new NotFound(`no job ${id}`);
    return { id, status: job.status };
  }

  /** Cancels a pending job, or asks the instance running it to stop (its handler's signal aborts). */
  @Post('/:id/cancel')
  async cancel(@PathParams('id') id: string) {
    const job = await this.monque.cancelJob(id, { reason: 'cancelled by an operator' }).catch(toHttpError);
    if (!job) throw new NotFound(`no job ${id}`);
    return { id, status: job.status };
  }

  /** Every instance stops claiming jobs of this name within one poll interval; running jobs finish. */
  @Post('/queues/:name/pause')
  async pause(@PathParams('name') name: string) {
    await this.monque.pause(name);
    return { paused: await this.monque.getPaused() };
  }

  @Post('/queues/:name/resume')
  async resume(@PathParams('name') name: string) {
    await this.monque.resume(name);
    return { paused: await this.monque.getPaused() };
  }
}

/** Monque's errors as HTTP errors: a bad id is a 400, a job in the wrong state a 409. */
function toHttpError(error: unknown): never {
  if (error instanceof InvalidArgumentError) throw new BadRequest(error.message);
  if (error instanceof JobStateError) throw new Conflict(error.message);
  throw error;
}
// #endregion controller
