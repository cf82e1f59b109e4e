/**
 * Rate-limit accuracy (Monque only: Agenda has no rate limit): several worker processes, each its
 * own scheduler and client, share one `rateLimit` over a backlog that outlasts the measured time.
 * Every handler start is reported with the time of its process (one clock on one machine). From
 * the first start: the starts in each consecutive window of `duration` (min, max, mean), the most
 * in ANY window (sliding, the contract's bound), and the share of the allowed starts used.
 */
import { type BenchContext, sleep, withFreshCollection } from '../bench-context.js';
import type { CommandCounts } from '../command-counter.js';
import { sumCounts, WorkerPool } from '../processes/worker-pool.js';
import { monqueLibrary } from '../queues/monque-queue.js';
import { preEnqueue } from './drain.js';
import { worstWindowOf } from './limited-drain.js';

/** Settings of the accuracy run. */
export interface RateAccuracySettings {
  readonly instances: number;
  /** Concurrency of each instance. */
  readonly concurrency: number;
  readonly max: number;
  readonly duration: number;
  /** How long the backlog is measured (from the first start), ms. */
  readonly measureMs: number;
  readonly pollInterval: number;
}

/** What the run saw. */
export interface RateAccuracyResult {
  /** Starts in each consecutive window of `duration` from the first start. */
  readonly perWindow: number[];
  /** Most starts in any window of `duration`. */
  readonly worstWindow: number;
  /** Starts in the measured time ÷ the starts the limit allows in it. */
  readonly used: number;
  readonly startsPerInstance: number[];
  readonly commandsPerStart: number;
  readonly commands: CommandCounts;
}

/** Runs the instances over the backlog for `measureMs` and reads their starts. */
export async function runRateAccuracy(
  context: BenchContext,
  settings: RateAccuracySettings,
): Promise<RateAccuracyResult> {
  return withFreshCollection(context, 'rate_accuracy', async (collection) => {
    const allowed = Math.ceil(settings.measureMs / settings.duration) * settings.max;
    await preEnqueue(context, monqueLibrary, collection, Math.ceil(allowed * 1.2) + settings.max);
    const starts: { at: number; worker: number }[] = [];
    const pool = await WorkerPool.open(
      settings.instances,
      {
        library: 'Monque',
        uri: context.uri,
        dbName: context.db.databaseName,
        collection,
        pollInterval: settings.pollInterval,
        concurrency: settings.concurrency,
        workMs: 0,
        flow: { rateLimit: { max: settings.max, duration: settings.duration } },
      },
      (event, worker) => {
        if (event.kind === 'start') starts.push({ at: event.at, worker });
      },
    );
    try {
      await pool.count();
      await pool.start();
      while (starts.length === 0) await sleep(20);
      const first = Math.min(...starts.map((start) => start.at));
      const end = first + settings.measureMs;
      while (Date.now() < end + 500) await sleep(100);
      const counts = await pool.report();
      const measured = starts
        .filter((start) => start.at < end)
        .map((start) => start.at)
        .sort((a, b) => a - b);
      const windows = Math.floor(settings.measureMs / settings.duration);
      const perWindow = Array.from({ length: windows }, (_, index) => {
        const from = first + index * settings.duration;
        return measured.filter((at) => at >= from && at < from + settings.duration).length;
      });
      const commands = sumCounts(counts);
      return {
        perWindow,
        worstWindow: worstWindowOf(
          starts.map((start) => start.at).sort((a, b) => a - b),
          settings.duration,
        ),
        used: measured.length / ((settings.measureMs / settings.duration) * settings.max),
        startsPerInstance: Array.from(
          { length: settings.instances },
          (_, worker) => starts.filter((start) => start.worker === worker && start.at < end).length,
        ),
        commandsPerStart: commands.total / Math.max(1, starts.length),
        commands,
      };
    } finally {
      await pool.close();
      await context.setupDb.collection(`${collection}_limits`).deleteMany({});
    }
  });
}
