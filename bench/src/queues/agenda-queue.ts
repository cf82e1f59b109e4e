/**
 * Agenda 6 with `@agendajs/mongo-backend` behind {@link BenchQueue}, configured as its README
 * shows: `new Agenda({ backend: new MongoBackend({ mongo: db, collection }) })`.
 */
import { MongoBackend } from '@agendajs/mongo-backend';
import { Agenda, InMemoryNotificationChannel, type Job } from 'agenda';
import type { Db } from 'mongodb';
import { installedVersion } from '../versions.js';
import {
  type BenchQueue,
  JOB_NAME,
  type JobPayload,
  type OpenOptions,
  type ProcessingSettings,
  type QueueLibrary,
} from './bench-queue.js';

class AgendaQueue implements BenchQueue {
  private started = false;

  constructor(private readonly agenda: Agenda) {}

  async enqueue(payload: JobPayload): Promise<void> {
    await this.agenda.now(JOB_NAME, payload);
  }

  /** Agenda has no bulk enqueue. */
  readonly enqueueMany = undefined;

  async startProcessing(settings: ProcessingSettings): Promise<void> {
    this.agenda.define(
      JOB_NAME,
      async (job: Job<JobPayload>) => {
        settings.onHandlerStart(job.attrs.data);
      },
      { concurrency: settings.concurrency },
    );
    this.agenda.maxConcurrency(settings.concurrency);
    this.agenda.on('complete', () => settings.onJobDone());
    this.agenda.on('error', (error: Error) => process.stderr.write(`agenda error ${error.message}\n`));
    this.started = true;
    await this.agenda.start();
  }

  async close(): Promise<void> {
    if (this.started) await this.agenda.stop();
  }
}

async function open(db: Db, collection: string, options: OpenOptions): Promise<BenchQueue> {
  const agenda = new Agenda({
    backend: new MongoBackend({ mongo: db, collection }),
    processEvery: options.pollInterval,
    ...(options.localWakeups ? { notificationChannel: new InMemoryNotificationChannel() } : {}),
  });
  await agenda.ready;
  return new AgendaQueue(agenda);
}

/** Agenda with the MongoDB backend, from `node_modules`. */
export const agendaLibrary: QueueLibrary = {
  label: 'Agenda',
  version: `${installedVersion('agenda')} + @agendajs/mongo-backend ${installedVersion('@agendajs/mongo-backend')}`,
  open,
};
