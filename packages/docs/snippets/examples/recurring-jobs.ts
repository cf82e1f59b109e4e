/**
 * Example: recurring jobs registered at every boot.
 */
import type { Monque } from '@monque/core';

/** Registers the workers and the schedules; safe to run on every boot of every instance. */
// #region example
export async function registerRecurringJobs(monque: Monque): Promise<void> {
  monque.worker<{ olderThanDays: number }>('purge-sessions', async (job) => {
    const cutoff = new Date(Date.now() - job.data.olderThanDays * 24 * 60 * 60 * 1000);
    console.log('purging sessions older than', cutoff.toISOString());
  });
  monque.worker<{ region: string }>('refresh-rates', async (job) => {
    console.log('refreshing exchange rates for', job.data.region);
  });

  // One document per schedule: calling schedule() again updates it (data, cron, time zone)
  // instead of adding a second one. An unchanged cron keeps the job's next due time.
  await monque.schedule('30 2 * * *', 'purge-sessions', { olderThanDays: 30 });

  // Two schedules of one job name, told apart by uniqueKey.
  await monque.schedule('0 * * * *', 'refresh-rates', { region: 'eu' }, { uniqueKey: 'eu' });
  await monque.schedule('0 */6 * * *', 'refresh-rates', { region: 'apac' }, { uniqueKey: 'apac' });

  // Read in a time zone: 08:00 New York time, winter and summer.
  await monque.schedule('0 8 * * MON-FRI', 'daily-report', {}, { timezone: 'America/New_York' });
  monque.worker('daily-report', async () => {
    console.log('sending the daily report');
  });
}
// #endregion example
