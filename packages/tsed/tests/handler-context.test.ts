import { getContext, Inject, Injectable, ProviderScope } from '@tsed/di';
import { describe, expect, it } from 'vitest';
import {
  currentJob,
  currentJobContext,
  Job,
  type JobContext,
  type JobHandlerClass,
  MONQUE_RUN_CONTEXT_KEY,
} from '../src/index.js';
import { boot, deferred, monqueSettings, nextEvent, useTestApp } from './helpers/app.js';
import { handlerResults, workerRetryPolicy } from './helpers/core-capabilities.js';

const getDb = useTestApp(import.meta.url);

/** A request-scoped service that reads the run's context itself (as a deep service would). */
@Injectable({ scope: ProviderScope.REQUEST })
class Uploader {
  readonly runContext = currentJobContext();
  readonly jobId = currentJob()?._id.toHexString();
}

interface Seen {
  data: { file: string };
  jobId: string;
  context: JobContext;
  fromService: JobContext | undefined;
  serviceJobId: string | undefined;
  fromDiContext: unknown;
}

/**
 * Holds its runs until released, and records what each received. `@Inject()` (like constructor
 * injection) builds request-scoped services in the job's own container; Ts.ED's functional
 * `inject()` in a field would not (it uses one container outside any job).
 */
@Job({ name: 'upload', concurrency: 2 })
class UploadJob implements JobHandlerClass<{ file: string }, { uploaded: string }> {
  static seen: Seen[] = [];
  static release = deferred();
  @Inject()
  private readonly uploader!: Uploader;

  async handle(data: { file: string }, job: Job<{ file: string }>, context: JobContext) {
    UploadJob.seen.push({
      data,
      jobId: job._id.toHexString(),
      context,
      fromService: this.uploader.runContext,
      serviceJobId: this.uploader.jobId,
      fromDiContext: getContext()?.get(MONQUE_RUN_CONTEXT_KEY),
    });
    await UploadJob.release.promise;
    return { uploaded: data.file };
  }
}

/** Fails every run: its own maxRetries (1) must win over the module's (10). */
@Job({ name: 'flaky-export', maxRetries: 1, backoff: { type: 'fixed', delay: 10 } })
class FlakyExportJob {
  handle(): never {
    throw new Error('export service unavailable');
  }
}

describe('the handler context of a @Job class', () => {
  it('the method gets (data, job, { signal, progress }), one context per run, reachable in its DI context', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db) });
    const bothStarted = new Promise<void>((resolve) => {
      let started = 0;
      monque.on('job:start', () => {
        if (++started === 2) resolve();
      });
    });
    const jobs = await Promise.all(['a.png', 'b.png'].map((file) => monque.enqueue('upload', { file })));
    await bothStarted;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(UploadJob.seen).toHaveLength(2);
    for (const seen of UploadJob.seen) {
      expect(seen.context.signal).toBeInstanceOf(AbortSignal);
      expect(seen.context.signal.aborted).toBe(false);
      expect(seen.context.progress).toBeTypeOf('function');
      // The same object everywhere in the run's DI context.
      expect(seen.fromService).toBe(seen.context);
      expect(seen.fromDiContext).toBe(seen.context);
      expect(seen.serviceJobId).toBe(seen.jobId);
    }
    const [first, second] = UploadJob.seen;
    expect(first?.context).not.toBe(second?.context);
    expect(first?.context.signal).not.toBe(second?.context.signal);
    expect(new Set(UploadJob.seen.map((seen) => seen.jobId))).toEqual(
      new Set(jobs.map((job) => job._id.toHexString())),
    );
    // progress() goes to core: it resolves (it never rejects).
    await expect(first?.context.progress(50)).resolves.toBeUndefined();

    const allDone = new Promise<void>((resolve) => {
      let completed = 0;
      monque.on('job:complete', () => {
        if (++completed === 2) resolve();
      });
    });
    UploadJob.release.resolve();
    await allDone;
    expect(currentJobContext()).toBeUndefined();
  });

  it("the method's return value becomes the job's result", async (ctx) => {
    const db = await getDb();
    const capability = await handlerResults(db);
    if (capability !== true) ctx.skip(capability);
    const monque = await boot({ monque: monqueSettings(db) });
    const completed = nextEvent(monque, 'job:complete');
    const job = await monque.enqueue('upload', { file: 'c.png' });
    const { result } = await completed;
    expect(result).toEqual({ uploaded: 'c.png' });
    const stored = await db.collection(monque.options.collectionName).findOne({ _id: job._id });
    expect(stored?.result).toEqual({ uploaded: 'c.png' });
  });

  it("@Job's maxRetries and backoff are the worker's policy: they beat the module's", async (ctx) => {
    const db = await getDb();
    const capability = await workerRetryPolicy(db);
    if (capability !== true) ctx.skip(capability);
    const monque = await boot({ monque: monqueSettings(db, { maxRetries: 10 }) });
    const failed = nextEvent(monque, 'job:fail', ({ job }) => job.name === 'flaky-export');
    await monque.enqueue('flaky-export', {});
    const { willRetry, job } = await failed;
    expect(willRetry).toBe(false);
    expect(job.status).toBe('failed');
    expect(FlakyExportJob).toBeTypeOf('function');
  });
});
