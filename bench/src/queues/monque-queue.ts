/**
 * Monque behind {@link BenchQueue}, imported from the source (no build needed).
 */
import { readFileSync } from 'node:fs';
import type { Db } from 'mongodb';
import { Monque } from '../../../packages/core/src/index.js';
import {
  type BenchQueue,
  JOB_NAME,
  type JobPayload,
  type ProcessingSettings,
  type QueueLibrary,
} from './bench-queue.js';

const version = (
  JSON.parse(readFileSync(new URL('../../../packages/core/package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

class MonqueQueue implements BenchQueue {
  private readonly monque: Monque;
  private started = false;

  constructor(db: Db, collection: string, pollInterval: number) {
    // Change streams off: both libraries are measured polling (Agenda has none built in).
    this.monque = new Monque(db, { collectionName: collection, pollInterval, changeStreamWakeups: false });
  }

  async enqueue(payload: JobPayload): Promise<void> {
    await this.monque.enqueue(JOB_NAME, payload);
  }

  readonly enqueueMany = async (payloads: readonly JobPayload[]): Promise<void> => {
    await this.monque.enqueueMany(payloads.map((data) => ({ name: JOB_NAME, data })));
  };

  async startProcessing(settings: ProcessingSettings): Promise<void> {
    this.monque.worker<JobPayload>(JOB_NAME, (job) => settings.onHandlerStart(job.data), {
      concurrency: settings.concurrency,
    });
    this.monque.on('job:complete', () => settings.onJobDone());
    this.monque.on('job:error', ({ error }) => process.stderr.write(`monque job:error ${error.message}\n`));
    this.started = true;
    await this.monque.start();
  }

  async close(): Promise<void> {
    if (this.started) await this.monque.stop();
  }
}

/** Monque, from `packages/core/src`. */
export const monqueLibrary: QueueLibrary = {
  label: 'Monque',
  version,
  open: async (db, collection, { pollInterval }) => new MonqueQueue(db, collection, pollInterval),
};
