import { type JobFailEvent, OnJobEvent } from '@monque/nestjs';
import { Injectable, Logger } from '@nestjs/common';

/** Listens to every job's events (this process's instance). */
@Injectable()
export class JobEvents {
  private readonly logger = new Logger(JobEvents.name);

  @OnJobEvent('job:fail')
  onFail({ job, error, willRetry }: JobFailEvent): void {
    const what = willRetry ? 'will retry' : 'failed for good';
    this.logger.warn(`${job.name} ${job._id.toHexString()} ${what}: ${error.message}`);
  }
}
