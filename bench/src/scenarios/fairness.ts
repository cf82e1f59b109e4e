/**
 * Fairness: one scheduler with a long backlog of one job name and a second, quiet name. Jobs of
 * the quiet name are enqueued from another client (no local wake-up) one at a time while the
 * backlog runs; measures how long each waits until its handler starts.
 */
import { type BenchContext, sleep, withFreshCollection } from '../bench-context.js';
import type { BenchQueue, QueueLibrary } from '../queues/bench-queue.js';

/** Settings of the fairness measurement. */
export interface FairnessSettings {
  readonly backlogJobs: number;
  /** How long each backlog job takes. */
  readonly backlogWorkMs: number;
  /** Concurrency of each of the two names. */
  readonly concurrency: number;
  readonly pollInterval: number;
  /** Quiet jobs enqueued, one after another's start. */
  readonly samples: number;
}

/** One quiet job's wait. */
export interface QuietSample {
  /** From just before its enqueue call to its handler's start. */
  readonly waitMs: number;
  /** Backlog jobs not yet finished when it started (0: the sample did not run beside a backlog). */
  readonly backlogLeft: number;
}

const BACKLOG = 'bench-backlog';
const QUIET = 'bench-quiet';
const START_TIMEOUT_MS = 30_000;
const ENQUEUE_CHUNK = 50;

async function enqueueBacklog(producer: BenchQueue, jobs: number): Promise<void> {
  for (let start = 0; start < jobs; start += ENQUEUE_CHUNK) {
    const chunk = Array.from({ length: Math.min(ENQUEUE_CHUNK, jobs - start) }, (_, i) => start + i);
    await Promise.all(chunk.map((seq) => producer.enqueue({ seq, enqueuedAt: Date.now() }, { name: BACKLOG })));
  }
}

/** Runs the backlog and the quiet jobs; resolves with each quiet job's wait. */
export async function runFairness(
  context: BenchContext,
  library: QueueLibrary,
  settings: FairnessSettings,
): Promise<QuietSample[]> {
  return withFreshCollection(context, `fairness_${library.label}`, async (collection) => {
    const producer = await library.open(context.setupDb, collection, { pollInterval: 1000, localWakeups: false });
    const scheduler = await library.open(context.db, collection, {
      pollInterval: settings.pollInterval,
      localWakeups: false,
    });
    try {
      await enqueueBacklog(producer, settings.backlogJobs);
      let backlogStarted = 0;
      let backlogDone = 0;
      const quietStarted = new Map<number, (at: number) => void>();
      await scheduler.startProcessing({
        concurrency: settings.concurrency,
        workers: [
          { name: BACKLOG, concurrency: settings.concurrency },
          { name: QUIET, concurrency: settings.concurrency },
        ],
        onHandlerStart: (payload, info) => {
          if (info.name === QUIET) quietStarted.get(payload.seq)?.(Date.now());
          else backlogStarted += 1;
        },
        work: async (_payload, info) => {
          if (info.name === BACKLOG) await sleep(settings.backlogWorkMs);
        },
        onJobDone: (_payload, outcome, info) => {
          if (info.name === BACKLOG && outcome === 'completed') backlogDone += 1;
        },
      });
      while (backlogStarted < settings.concurrency) await sleep(10);
      const samples: QuietSample[] = [];
      for (let index = 0; index < settings.samples; index += 1) {
        await sleep(Math.random() * settings.pollInterval);
        const seq = settings.backlogJobs + index;
        const started = new Promise<number>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`${library.label}: quiet job ${index} never started`)),
            START_TIMEOUT_MS,
          );
          quietStarted.set(seq, (at) => {
            clearTimeout(timer);
            resolve(at);
          });
        });
        const enqueuedAt = Date.now();
        await producer.enqueue({ seq, enqueuedAt }, { name: QUIET });
        const startedAt = await started;
        samples.push({ waitMs: startedAt - enqueuedAt, backlogLeft: settings.backlogJobs - backlogDone });
      }
      return samples;
    } finally {
      await scheduler.close();
      await producer.close();
    }
  });
}
