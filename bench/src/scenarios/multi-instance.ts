/**
 * Multi-instance drain: pre-enqueued no-op jobs drained by several schedulers, each in its own
 * process with its own client. Measures the commands of all processes per job, the throughput,
 * and whether every job ran exactly once (handler starts counted per job id).
 */
import { type BenchContext, withFreshCollection } from '../bench-context.js';
import type { CommandCounts } from '../command-counter.js';
import { sumCounts, WorkerPool } from '../processes/worker-pool.js';
import type { QueueLibrary } from '../queues/bench-queue.js';
import { preEnqueue } from './drain.js';

/** Settings of the multi-instance drain. */
export interface MultiInstanceSettings {
  readonly instances: number;
  readonly jobs: number;
  /** Per instance. */
  readonly concurrency: number;
  readonly pollInterval: number;
  readonly timeoutMs: number;
}

/** What one run saw. */
export interface MultiInstanceResult {
  readonly jobsPerSecond: number;
  /** All processes' commands (from `start()` to the last completion) per job. */
  readonly commandsPerJob: number;
  readonly commands: CommandCounts;
  /** Commands per process. */
  readonly commandsPerInstance: number[];
  /** Jobs completed by each process. */
  readonly jobsPerInstance: number[];
  /** Per process: ms from the start request until `start()` resolved, and until its first handler started (-1: none). */
  readonly startMs: number[];
  readonly firstJobMs: number[];
  /** Distinct job ids whose handler started. */
  readonly distinctJobs: number;
  /** Job ids whose handler started more than once. */
  readonly duplicateRuns: number;
  /** Pre-enqueued jobs (by `seq`) that never started. */
  readonly neverRan: number;
  /** `distinctJobs === jobs`, no duplicates, none missing. */
  readonly exactlyOnce: boolean;
}

/** Pre-enqueues the jobs, then lets `settings.instances` processes drain them together. */
export async function runMultiInstance(
  context: BenchContext,
  library: QueueLibrary,
  settings: MultiInstanceSettings,
): Promise<MultiInstanceResult> {
  return withFreshCollection(context, `multi_${library.label}`, async (collection) => {
    await preEnqueue(context, library, collection, settings.jobs);
    const startsPerId = new Map<string, number>();
    const seqsStarted = new Set<number>();
    const completedIds = new Set<string>();
    const jobsPerInstance = Array.from({ length: settings.instances }, () => 0);
    const firstStartAt = Array.from({ length: settings.instances }, () => 0);
    let lastCompletionAt = 0;
    let finish: () => void = () => {};
    const allDone = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const pool = await WorkerPool.open(
      settings.instances,
      {
        library: library.label,
        uri: context.uri,
        dbName: context.db.databaseName,
        collection,
        pollInterval: settings.pollInterval,
        concurrency: settings.concurrency,
        workMs: 0,
      },
      (event, worker) => {
        if (event.kind === 'start') {
          if (firstStartAt[worker] === 0) firstStartAt[worker] = event.at;
          startsPerId.set(event.id, (startsPerId.get(event.id) ?? 0) + 1);
          seqsStarted.add(event.seq);
          return;
        }
        if (event.kind !== 'completed' || completedIds.has(event.id)) return;
        completedIds.add(event.id);
        jobsPerInstance[worker] = (jobsPerInstance[worker] ?? 0) + 1;
        lastCompletionAt = Math.max(lastCompletionAt, event.at);
        if (completedIds.size >= settings.jobs) finish();
      },
    );
    try {
      await pool.count();
      const timeout = setTimeout(finish, settings.timeoutMs);
      const startedAt = Date.now();
      const startMs = await pool.start();
      await allDone;
      clearTimeout(timeout);
      const perInstance = await pool.report();
      if (completedIds.size < settings.jobs) {
        throw new Error(
          `${library.label}: ${settings.instances} instances completed ${completedIds.size}/${settings.jobs} jobs in ${settings.timeoutMs} ms`,
        );
      }
      const commands = sumCounts(perInstance);
      const duplicateRuns = [...startsPerId.values()].filter((starts) => starts > 1).length;
      let neverRan = 0;
      for (let seq = 0; seq < settings.jobs; seq += 1) if (!seqsStarted.has(seq)) neverRan += 1;
      return {
        jobsPerSecond: settings.jobs / ((lastCompletionAt - startedAt) / 1000),
        commandsPerJob: commands.total / settings.jobs,
        commands,
        commandsPerInstance: perInstance.map((counts) => counts.total),
        jobsPerInstance,
        startMs,
        firstJobMs: firstStartAt.map((at) => (at === 0 ? -1 : at - startedAt)),
        distinctJobs: startsPerId.size,
        duplicateRuns,
        neverRan,
        exactlyOnce: startsPerId.size === settings.jobs && duplicateRuns === 0 && neverRan === 0,
      };
    } finally {
      await pool.close();
    }
  });
}
