/**
 * Enqueue throughput: jobs one after another, all at once, and in one bulk call.
 */
import { type BenchContext, withFreshCollection } from '../bench-context.js';
import type { CommandClassifier, CommandCounts } from '../command-counter.js';
import type { JobPayload, QueueLibrary } from '../queues/bench-queue.js';

/** How the jobs are handed over. */
export type EnqueueMode = 'sequential' | 'concurrent' | 'bulk';

/** One measured run. */
export interface EnqueueResult {
  readonly jobsPerSecond: number;
  /** Database commands for the whole batch (index creation excluded by a warm-up). */
  readonly commands: number;
  /** The same commands by name and purpose. */
  readonly counts: CommandCounts;
}

function payloads(count: number): JobPayload[] {
  return Array.from({ length: count }, (_, seq) => ({ seq, enqueuedAt: Date.now() }));
}

/** Enqueues `count` jobs in `mode`; `undefined` when the library has no bulk API. */
export async function runEnqueue(
  context: BenchContext,
  library: QueueLibrary,
  classify: CommandClassifier,
  mode: EnqueueMode,
  count: number,
): Promise<EnqueueResult | undefined> {
  return withFreshCollection(context, `enqueue_${library.label}`, async (collection) => {
    const queue = await library.open(context.db, collection, { pollInterval: 1000, localWakeups: false });
    try {
      if (mode === 'bulk' && !queue.enqueueMany) return undefined;
      // Warm-up: index creation and first-use costs stay out of the figure.
      await queue.enqueue({ seq: -1, enqueuedAt: Date.now() });
      await context.setupDb.collection(collection).deleteMany({});
      const jobs = payloads(count);
      context.counter.start(classify);
      const startedAt = performance.now();
      if (mode === 'sequential') {
        for (const job of jobs) await queue.enqueue(job);
      } else if (mode === 'concurrent') {
        await Promise.all(jobs.map((job) => queue.enqueue(job)));
      } else {
        await queue.enqueueMany?.(jobs);
      }
      const seconds = (performance.now() - startedAt) / 1000;
      const counts = context.counter.stop();
      return { jobsPerSecond: count / seconds, commands: counts.total, counts };
    } finally {
      await queue.close();
    }
  });
}
