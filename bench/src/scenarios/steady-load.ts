/**
 * Steady load, in the style of the public PostgreSQL queue benchmarks: a producer process offers a
 * fixed rate of jobs for a fixed time to worker processes; measures end-to-end latency
 * (enqueue → start, enqueue → completion; a delayed job from its `runAt`), whether the offered
 * rate was held, and the commands of all processes per job.
 *
 * One clock: every timestamp is `Date.now()` of a process on this machine (the kernel's real-time
 * clock). The producer writes its call time (and a delayed job's due time) into the job's data;
 * the worker that runs the job reports its handler start and its written outcome.
 *
 * A janitor in this process deletes finished jobs once a second through an unmonitored client
 * (standing in for retention, the same for both libraries; its commands are not counted), so the
 * collection stays small on the embedded backend.
 */
import { type BenchContext, sleep, withFreshCollection } from '../bench-context.js';
import type { CommandCounts } from '../command-counter.js';
import { ChildProcessHandle } from '../processes/child-process.js';
import { type OfferPlan, offeredJobs } from '../processes/offer-plan.js';
import type { OfferSummary, ProducerReply, ProducerRequest } from '../processes/producer-process.js';
import { sumCounts, WorkerPool } from '../processes/worker-pool.js';
import type { WorkerEvent } from '../processes/worker-process.js';
import type { QueueLibrary } from '../queues/bench-queue.js';
import { JobLedger, type LatencySummary } from './job-ledger.js';

/** Settings of one steady-load run. */
export interface SteadyLoadSettings {
  readonly plan: OfferPlan;
  readonly workerProcesses: number;
  /** Per worker process. */
  readonly concurrency: number;
  readonly pollInterval: number;
  /** How long each handler takes. */
  readonly workMs: number;
  readonly retryOnceAfterMs: number;
  /** How long to wait after the window for the remaining jobs. */
  readonly graceMs: number;
  readonly janitorEveryMs: number;
}

/** What one run saw. */
export interface SteadyLoadResult {
  readonly offeredRate: number;
  /** Enqueue calls that returned within the window, per second. */
  readonly enqueuedRate: number;
  /** Final completions within the window, per second. */
  readonly completedRate: number;
  /** Jobs due by the end of the window and not completed by then. */
  readonly backlogAtEnd: number;
  /** Jobs whose completion was written (within the window or after it). */
  readonly completed: number;
  /** Jobs never completed, even after the grace period. */
  readonly unfinished: number;
  /** From the end of the window to the last completion. */
  readonly tailMs: number;
  /** Whether the rate was held: ≥ 99 % of calls returned in the window and the backlog at the end is under 1 s of offered jobs. */
  readonly held: boolean;
  readonly latency: LatencySummary;
  readonly commandsPerJob: number;
  readonly commands: CommandCounts;
  readonly commandsByProcess: { producer: number; workers: number[] };
  /** Starts of the same attempt of a job seen more than once (a double claim). */
  readonly duplicateStarts: number;
  readonly producer: Omit<OfferSummary, 'jobs'>;
}

const PRODUCER = new URL('../processes/producer-process.ts', import.meta.url);

/** Deletes finished jobs (by `data.seq`) every `everyMs`, one sweep at a time. */
function startJanitor(
  context: BenchContext,
  collection: string,
  finished: number[],
  everyMs: number,
): () => Promise<void> {
  let sweeping: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    sweeping = sweeping.then(async () => {
      const seqs = finished.splice(0);
      if (seqs.length > 0) await context.setupDb.collection(collection).deleteMany({ 'data.seq': { $in: seqs } });
    });
  }, everyMs);
  return async () => {
    clearInterval(timer);
    await sweeping;
  };
}

/** Runs the producer and the worker processes of `library` for one offer window. */
export async function runSteadyLoad(
  context: BenchContext,
  library: QueueLibrary,
  settings: SteadyLoadSettings,
): Promise<SteadyLoadResult> {
  return withFreshCollection(context, `steady_${library.label}`, async (collection) => {
    const total = offeredJobs(settings.plan);
    const ledger = new JobLedger(total);
    const finished: number[] = [];
    const target = { uri: context.uri, dbName: context.db.databaseName, collection };
    const producer = ChildProcessHandle.start<ProducerRequest, ProducerReply>(PRODUCER, 'producer process');
    let pool: WorkerPool | undefined;
    const stopJanitor = startJanitor(context, collection, finished, settings.janitorEveryMs);
    try {
      const onEvent = (event: WorkerEvent): void => {
        if (ledger.record(event)) finished.push(event.seq);
      };
      [pool] = await Promise.all([
        WorkerPool.open(
          settings.workerProcesses,
          {
            library: library.label,
            ...target,
            pollInterval: settings.pollInterval,
            concurrency: settings.concurrency,
            workMs: settings.workMs,
            retryOnceAfterMs: settings.retryOnceAfterMs,
          },
          onEvent,
        ),
        producer.request(
          { type: 'open', library: library.label, ...target, plan: settings.plan, settleMs: settings.graceMs },
          'ready',
        ),
      ]);
      await pool.start();
      await Promise.all([pool.count(), producer.request({ type: 'count' }, 'counting')]);
      const summary = (
        await producer.request({ type: 'go' }, 'offered', settings.plan.seconds * 1000 + settings.graceMs + 60_000)
      ).summary;
      ledger.offered(summary.jobs);
      const graceEnd = Date.now() + settings.graceMs;
      while (ledger.completedCount() < summary.enqueued + summary.unsettled && Date.now() < graceEnd) await sleep(50);
      const [workerCounts, producerReport] = await Promise.all([
        pool.report(),
        producer.request({ type: 'report' }, 'report'),
      ]);
      const commands = sumCounts([...workerCounts, producerReport.commands]);
      const seconds = settings.plan.seconds;
      const backlogAtEnd = ledger.backlogAt(summary.windowEnd);
      const completed = ledger.completedCount();
      const { jobs: _jobs, ...producerSummary } = summary;
      return {
        offeredRate: settings.plan.rate,
        enqueuedRate: summary.enqueuedInWindow / seconds,
        completedRate: ledger.completedBy(summary.windowEnd) / seconds,
        backlogAtEnd,
        completed,
        unfinished: summary.offered - summary.errors - completed,
        tailMs: Math.max(0, ledger.lastCompletionAt() - summary.windowEnd),
        held: summary.enqueuedInWindow >= 0.99 * summary.offered && backlogAtEnd < settings.plan.rate,
        latency: ledger.latency(),
        commandsPerJob: commands.total / Math.max(1, completed),
        commands,
        commandsByProcess: { producer: producerReport.commands.total, workers: workerCounts.map((c) => c.total) },
        duplicateStarts: ledger.duplicateStarts(),
        producer: producerSummary,
      };
    } finally {
      await Promise.allSettled([pool?.close(), producer.stop({ type: 'close' })]);
      await stopJanitor();
    }
  });
}
