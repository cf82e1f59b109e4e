/**
 * Reading a job's fields.
 */
import { type Job, JobStatus } from '@monque/core';

/** One line describing where a job is. */
// #region describe
export function describeJob(job: Job<{ orderId: string }>): string {
  switch (job.status) {
    case JobStatus.WAITING:
      return `order ${job.data.orderId}: waiting for ${job.dependsOn?.length ?? 0} jobs to complete`;
    case JobStatus.PENDING:
      return job.failCount > 0
        ? `order ${job.data.orderId}: retry ${job.failCount} due ${job.nextRunAt.toISOString()} (${job.failReason})`
        : `order ${job.data.orderId}: due ${job.nextRunAt.toISOString()}`;
    case JobStatus.PROCESSING:
      return `order ${job.data.orderId}: run ${job.attempts ?? 1} on ${job.owner}, progress ${JSON.stringify(job.progress ?? 0)}`;
    case JobStatus.COMPLETED:
      return `order ${job.data.orderId}: done at ${job.finishedAt?.toISOString()}, result ${JSON.stringify(job.result)}`;
    case JobStatus.FAILED:
      return `order ${job.data.orderId}: gave up after ${job.failCount} failures: ${job.failReason}`;
    case JobStatus.CANCELLED:
      return `order ${job.data.orderId}: cancelled (${job.cancelReason ?? 'no reason given'})`;
  }
}
// #endregion describe
