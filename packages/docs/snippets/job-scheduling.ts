/**
 * One-off, delayed, batched and recurring jobs.
 */
import { InvalidCronError, type Job, type Monque } from '@monque/core';

/** The payload of a `generate-report` job. */
export interface ReportRequest {
  reportId: string;
}

/** Jobs that run once. */
export async function oneOffJobs(monque: Monque): Promise<Job<ReportRequest>[]> {
  // #region one-off
  // Due now: the next poll (or, locally, at once) claims it.
  const now = await monque.now<ReportRequest>('generate-report', { reportId: 'r-1' });

  // Due now as well; enqueue takes options.
  const same = await monque.enqueue<ReportRequest>('generate-report', { reportId: 'r-2' });

  // Delayed: due in 10 minutes.
  const later = await monque.enqueue<ReportRequest>(
    'generate-report',
    { reportId: 'r-3' },
    { runAt: new Date(Date.now() + 10 * 60 * 1000) },
  );
  // #endregion one-off
  return [now, same, later];
}

/** Many jobs in one call. */
export async function manyJobs(monque: Monque, reportIds: string[]): Promise<Job<ReportRequest>[]> {
  // #region many
  // A couple of round trips instead of one per job; returned in the order given.
  const jobs = await monque.enqueueMany<ReportRequest>(
    reportIds.map((reportId) => ({
      name: 'generate-report',
      data: { reportId },
      options: { uniqueKey: `report:${reportId}` },
    })),
  );
  // #endregion many
  return jobs;
}

/** Recurring jobs. */
export async function recurringJobs(monque: Monque): Promise<void> {
  // #region recurring
  // Every day at 03:00 UTC.
  await monque.schedule('0 3 * * *', 'cleanup-sessions', { olderThanDays: 30 });

  // Every Monday at 09:00 in Berlin time (DST handled).
  await monque.schedule('0 9 * * MON', 'weekly-digest', {}, { timezone: 'Europe/Berlin' });

  // One job name, several schedules: the uniqueKey tells them apart.
  await monque.schedule('*/5 * * * *', 'sync-tenant', { tenant: 'acme' }, { uniqueKey: 'acme' });
  await monque.schedule('*/15 * * * *', 'sync-tenant', { tenant: 'globex' }, { uniqueKey: 'globex' });
  // #endregion recurring
}

/** Worker registration with its own concurrency. */
export function registerWorker(monque: Monque): void {
  // #region worker
  monque.worker<ReportRequest>(
    'generate-report',
    async (job) => {
      await buildReport(job.data.reportId);
    },
    { concurrency: 2 }, // at most 2 reports at once in this instance
  );
  // #endregion worker
}

/** Bad input is rejected before anything is written. */
export async function badInput(monque: Monque): Promise<void> {
  // #region bad-input
  try {
    await monque.schedule('0 25 * * *', 'nightly', {});
  } catch (error) {
    if (error instanceof InvalidCronError) {
      // Invalid cron expression '0 25 * * *': hour field value 25 is out of range 0-23. ...
      console.error(error.expression, error.message);
    } else {
      throw error;
    }
  }
  // #endregion bad-input
}

async function buildReport(reportId: string): Promise<void> {
  console.log('building', reportId);
}
