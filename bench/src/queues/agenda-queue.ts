/**
 * Agenda 6 with `@agendajs/mongo-backend` behind {@link BenchQueue}, configured as its README
 * shows: `new Agenda({ backend: new MongoBackend({ mongo: db, collection }) })`.
 */
import { MongoBackend } from '@agendajs/mongo-backend';
import { Agenda, constant, InMemoryNotificationChannel, type Job, type JobWithId } from 'agenda';
import type { Db } from 'mongodb';
import { installedVersion } from '../versions.js';
import {
  type BenchQueue,
  type EnqueueSpec,
  JOB_NAME,
  type JobPayload,
  type OpenOptions,
  type ProcessingSettings,
  type QueueLibrary,
  type RunInfo,
  workersOf,
} from './bench-queue.js';

function infoOf(job: Job<JobPayload>, attempt: number): RunInfo {
  return { id: String(job.attrs._id), name: job.attrs.name, attempt };
}

class AgendaQueue implements BenchQueue {
  private started = false;

  constructor(
    private readonly agenda: Agenda,
    private readonly retryOnceAfterMs: number | undefined,
  ) {}

  async enqueue(payload: JobPayload, spec: EnqueueSpec = {}): Promise<void> {
    const name = spec.name ?? JOB_NAME;
    if (spec.runAt) await this.agenda.schedule(spec.runAt, name, payload);
    else await this.agenda.now(name, payload);
  }

  /** Agenda has no bulk enqueue. */
  readonly enqueueMany = undefined;

  async startProcessing(settings: ProcessingSettings): Promise<void> {
    // The attempt a run is, read when it starts (Agenda resets `failCount` on success).
    const attempts = new WeakMap<Job<JobPayload>, number>();
    const succeeded = new WeakSet<Job<JobPayload>>();
    let total = 0;
    for (const { name, concurrency } of workersOf(settings)) {
      total += concurrency;
      this.agenda.define(
        name,
        async (job: Job<JobPayload>) => {
          const attempt = (job.attrs.failCount ?? 0) + 1;
          attempts.set(job, attempt);
          const info = infoOf(job, attempt);
          settings.onHandlerStart(job.attrs.data, info);
          await settings.work?.(job.attrs.data, info);
        },
        {
          concurrency,
          ...(this.retryOnceAfterMs === undefined
            ? {}
            : { backoff: constant({ delay: this.retryOnceAfterMs, maxRetries: 1 }) }),
        },
      );
    }
    this.agenda.maxConcurrency(Math.max(total, 1));
    this.agenda.on('success', (job: JobWithId) => succeeded.add(job as Job<JobPayload>));
    // 'complete' comes after the outcome is saved, for successes and failures alike.
    this.agenda.on('complete', (anyJob: JobWithId) => {
      const job = anyJob as Job<JobPayload>;
      const info = infoOf(job, attempts.get(job) ?? 1);
      const outcome = succeeded.has(job) ? 'completed' : job.attrs.nextRunAt ? 'retrying' : 'failed';
      settings.onJobDone(job.attrs.data, outcome, info);
    });
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
  return new AgendaQueue(agenda, options.retryOnceAfterMs);
}

/** Agenda with the MongoDB backend, from `node_modules`. */
export const agendaLibrary: QueueLibrary = {
  label: 'Agenda',
  version: `${installedVersion('agenda')} + @agendajs/mongo-backend ${installedVersion('@agendajs/mongo-backend')}`,
  open,
};
