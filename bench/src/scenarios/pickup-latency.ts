/**
 * Pickup latency: an idle scheduler, jobs enqueued one at a time (the next only after the previous
 * started), at random gaps so enqueues land at random points of the poll cycle. Latency is from
 * just before the enqueue call to the handler's start.
 */
import { type BenchContext, sleep, withFreshCollection } from '../bench-context.js';
import type { QueueLibrary } from '../queues/bench-queue.js';
import { RemoteEnqueuer } from '../remote-enqueuer-client.js';

/** Where the jobs are enqueued from. */
export type EnqueueOrigin = 'same-process' | 'other-process';

/** Settings of one latency run. */
export interface LatencySettings {
  readonly origin: EnqueueOrigin;
  /** Measured samples (one more is taken first and dropped: first-use costs). */
  readonly samples: number;
  readonly pollInterval: number;
  /** Gaps between a job's start and the next enqueue are uniform in [0, maxGapMs). */
  readonly maxGapMs: number;
}

const START_TIMEOUT_MS = 30_000;

/** Runs one latency measurement; resolves with the latencies in ms. */
export async function runPickupLatency(
  context: BenchContext,
  library: QueueLibrary,
  settings: LatencySettings,
): Promise<number[]> {
  return withFreshCollection(context, `latency_${library.label}`, async (collection) => {
    const scheduler = await library.open(context.db, collection, {
      pollInterval: settings.pollInterval,
      localWakeups: settings.origin === 'same-process',
    });
    const remote =
      settings.origin === 'other-process'
        ? await RemoteEnqueuer.start(library.label, { uri: context.uri, dbName: context.db.databaseName, collection })
        : undefined;
    const started = new Map<number, (at: number) => void>();
    try {
      await scheduler.startProcessing({
        concurrency: 5,
        onHandlerStart: (payload) => started.get(payload.seq)?.(Date.now() - payload.enqueuedAt),
        onJobDone: () => {},
      });
      const latencies: number[] = [];
      for (let seq = 0; seq <= settings.samples; seq += 1) {
        await sleep(Math.random() * settings.maxGapMs);
        const latency = new Promise<number>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`${library.label}: job ${seq} never started`)),
            START_TIMEOUT_MS,
          );
          started.set(seq, (value) => {
            clearTimeout(timer);
            resolve(value);
          });
        });
        if (remote) await remote.enqueue(seq);
        else await scheduler.enqueue({ seq, enqueuedAt: Date.now() });
        const value = await latency;
        if (seq > 0) latencies.push(value);
      }
      return latencies;
    } finally {
      await remote?.stop();
      await scheduler.close();
    }
  });
}
