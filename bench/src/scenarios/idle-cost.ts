/**
 * Idle cost: one scheduler with many registered job names and no jobs at all. Counts the commands
 * it sends per poll interval once it is running (start-up — index creation, stale recovery — and
 * one warm-up interval are not counted).
 */
import { type BenchContext, sleep, withFreshCollection } from '../bench-context.js';
import type { CommandClassifier, CommandCounts } from '../command-counter.js';
import type { QueueLibrary } from '../queues/bench-queue.js';

/** Settings of the idle measurement. */
export interface IdleCostSettings {
  /** Registered job names (workers). */
  readonly names: number;
  readonly pollInterval: number;
  /** How long the counted window lasts. */
  readonly seconds: number;
  /** Concurrency of each name. */
  readonly concurrency: number;
}

/** What one measurement saw. */
export interface IdleCostResult {
  readonly commandsPerPoll: number;
  /** Poll intervals in the counted window. */
  readonly intervals: number;
  readonly commands: CommandCounts;
}

/** Starts an idle scheduler with `settings.names` workers and counts its commands for `settings.seconds`. */
export async function runIdleCost(
  context: BenchContext,
  library: QueueLibrary,
  classify: CommandClassifier,
  settings: IdleCostSettings,
): Promise<IdleCostResult> {
  return withFreshCollection(context, `idle_${library.label}`, async (collection) => {
    const scheduler = await library.open(context.db, collection, {
      pollInterval: settings.pollInterval,
      localWakeups: false,
    });
    try {
      await scheduler.startProcessing({
        concurrency: settings.concurrency,
        workers: Array.from({ length: settings.names }, (_, index) => ({
          name: `bench-idle-${index + 1}`,
          concurrency: settings.concurrency,
        })),
        onHandlerStart: () => {
          throw new Error('idle scenario: a job ran although none was enqueued');
        },
        onJobDone: () => {},
      });
      await sleep(settings.pollInterval);
      context.counter.start(classify);
      const startedAt = performance.now();
      await sleep(settings.seconds * 1000);
      const commands = context.counter.stop();
      const intervals = (performance.now() - startedAt) / settings.pollInterval;
      return { commandsPerPoll: commands.total / intervals, intervals, commands };
    } finally {
      await scheduler.close();
    }
  });
}
