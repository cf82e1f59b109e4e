/**
 * Monque behind {@link BenchQueue}, imported from the source (no build needed). Only the public
 * API is used: `new Monque(db, options)`, `worker`, `enqueue`, `enqueueMany`, `start`, `stop`, events.
 */
import { readFileSync } from 'node:fs';
import type { Db } from 'mongodb';
import { type Job, Monque, type MonqueOptions } from '../../../packages/core/src/index.js';
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

const version = (
  JSON.parse(readFileSync(new URL('../../../packages/core/package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

function infoOf(job: Job<JobPayload>): RunInfo {
  return { id: job._id.toHexString(), name: job.name, attempt: (job.failCount ?? 0) + 1 };
}

/** The failure count a listener sees is the one after the failure: the run that failed was one less. */
function failedRunInfo(job: Job<JobPayload>): RunInfo {
  return { id: job._id.toHexString(), name: job.name, attempt: Math.max(1, job.failCount ?? 1) };
}

class MonqueQueue implements BenchQueue {
  private readonly monque: Monque;
  private started = false;

  constructor(db: Db, collection: string, options: OpenOptions) {
    // Change streams off: both libraries are measured polling (Agenda has none built in).
    const monqueOptions: MonqueOptions = {
      collectionName: collection,
      pollInterval: options.pollInterval,
      changeStreamWakeups: false,
    };
    if (options.retryOnceAfterMs !== undefined) {
      monqueOptions.maxRetries = 2;
      monqueOptions.baseRetryInterval = options.retryOnceAfterMs / 2;
    }
    this.monque = new Monque(db, monqueOptions);
  }

  async enqueue(payload: JobPayload, spec: EnqueueSpec = {}): Promise<void> {
    await this.monque.enqueue(spec.name ?? JOB_NAME, payload, spec.runAt ? { runAt: spec.runAt } : undefined);
  }

  readonly enqueueMany = async (payloads: readonly JobPayload[]): Promise<void> => {
    await this.monque.enqueueMany(payloads.map((data) => ({ name: JOB_NAME, data })));
  };

  async startProcessing(settings: ProcessingSettings): Promise<void> {
    for (const { name, concurrency, flow } of workersOf(settings)) {
      this.monque.worker<JobPayload>(
        name,
        async (job) => {
          const info = infoOf(job);
          settings.onHandlerStart(job.data, info);
          await settings.work?.(job.data, info);
        },
        { concurrency, ...flow },
      );
    }
    this.monque.on('job:complete', ({ job }) => {
      const typed = job as Job<JobPayload>;
      settings.onJobDone(typed.data, 'completed', infoOf(typed));
    });
    this.monque.on('job:fail', ({ job, willRetry }) => {
      const typed = job as Job<JobPayload>;
      settings.onJobDone(typed.data, willRetry ? 'retrying' : 'failed', failedRunInfo(typed));
    });
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
  open: async (db, collection, options) => new MonqueQueue(db, collection, options),
};
