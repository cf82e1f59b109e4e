import { DITest, inject } from '@tsed/di';
import { describe, expect, it } from 'vitest';
import { Job, JobStatus, Monque, MonqueModule } from '../src/index.js';
import { boot, deferred, monqueSettings, nextEvent, useTestApp } from './helpers/app.js';

const getDb = useTestApp(import.meta.url);

@Job({ name: 'nightly-cleanup', cron: '0 3 * * *', data: { olderThanDays: 30 }, timezone: 'Europe/Berlin' })
class NightlyCleanupJob {
  handle(): void {}
}

@Job({ name: 'slow-export' })
class SlowExportJob {
  static release = deferred();
  static finished = false;

  async handle(): Promise<void> {
    await SlowExportJob.release.promise;
    SlowExportJob.finished = true;
  }
}

@Job({ name: 'ping' })
class PingJob {
  static seen: unknown[] = [];
  handle(data: unknown): void {
    PingJob.seen.push(data);
  }
}

describe('lifecycle', () => {
  it('$onInit starts the scheduler; $onDestroy stops it', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db) });
    expect(monque.isRunning).toBe(true);
    expect(monque.isHealthy()).toBe(true);
    await DITest.reset();
    expect(monque.isRunning).toBe(false);
  });

  it('three boots on one collection leave one recurring job per cron @Job', async () => {
    const db = await getDb();
    const settings = monqueSettings(db);
    for (let bootCount = 0; bootCount < 3; bootCount += 1) {
      await boot({ monque: settings });
      await DITest.reset();
    }
    const jobs = db.collection(settings.collectionName as string);
    const recurring = await jobs.find({ name: 'nightly-cleanup' }).toArray();
    expect(recurring).toHaveLength(1);
    expect(recurring[0]).toMatchObject({
      repeatInterval: '0 3 * * *',
      timezone: 'Europe/Berlin',
      data: { olderThanDays: 30 },
      status: JobStatus.PENDING,
    });
    expect(NightlyCleanupJob).toBeTypeOf('function');
  });

  it('destroying the injector waits for a running job to finish', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db) });
    const started = nextEvent(monque, 'job:start', (job) => job.name === 'slow-export');
    const job = await monque.enqueue('slow-export', {});
    await started;
    setTimeout(() => SlowExportJob.release.resolve(), 300);
    await DITest.reset();
    expect(SlowExportJob.finished).toBe(true);
    const stored = await db.collection(monque.options.collectionName).findOne({ _id: job._id });
    expect(stored?.status).toBe(JobStatus.COMPLETED);
  });

  it('disableJobProcessing: enqueues and schedules cron jobs but processes nothing until start()', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db, { disableJobProcessing: true }) });
    expect(monque.isRunning).toBe(false);
    const job = await monque.enqueue('ping', { n: 1 });
    const jobs = db.collection(monque.options.collectionName);
    expect(await jobs.countDocuments({ name: 'nightly-cleanup' })).toBe(1);
    expect((await jobs.findOne({ _id: job._id }))?.status).toBe(JobStatus.PENDING);

    // A CLI or worker process can start processing by hand.
    const done = nextEvent(monque, 'job:complete', ({ job: finished }) => finished._id.equals(job._id));
    await inject(MonqueModule).start();
    expect(monque.isRunning).toBe(true);
    await done;
    expect(PingJob.seen).toEqual([{ n: 1 }]);
    await inject(MonqueModule).stop();
    expect(monque.isRunning).toBe(false);
  });

  it('MonqueModule.start() after stop() resumes processing without registering workers twice', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db) });
    const module = inject(MonqueModule);
    await module.stop();
    await module.start();
    const done = nextEvent(monque, 'job:complete');
    await monque.enqueue('ping', { n: 2 });
    await done;
    expect(inject(Monque)).toBe(monque);
  });
});
