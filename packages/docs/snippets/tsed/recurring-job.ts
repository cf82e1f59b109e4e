/**
 * A recurring Ts.ED job and one with a differently named method.
 */
import { currentJob, Job } from '@monque/tsed';

// #region cron
/** Every day at 02:30 Berlin time. Registered at every boot of every instance: still one job. */
@Job({
  name: 'purge-sessions',
  cron: '30 2 * * *',
  timezone: 'Europe/Berlin',
  data: { olderThanDays: 30 },
})
export class PurgeSessionsJob {
  async handle(data: { olderThanDays: number }): Promise<void> {
    console.log(`purging sessions older than ${data.olderThanDays} days`);
  }
}
// #endregion cron

// #region method
/** The handler method may have another name. */
@Job({ name: 'rebuild-search-index', method: 'run' })
export class RebuildSearchIndexJob {
  async run(data: { collection: string }): Promise<void> {
    // currentJob() returns the running job anywhere in its DI context (services included).
    console.log(`rebuilding ${data.collection} for job ${currentJob()?._id.toHexString()}`);
  }
}
// #endregion method
