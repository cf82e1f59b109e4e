/**
 * Fairness across groups (Monque only: Agenda has no groups): one scheduler runs a backlog of one
 * group of a job name; meanwhile single jobs of other groups are enqueued from another client (no
 * local wake-up), one at a time. For each: the claim turns (claim writes of the scheduler) from its
 * enqueue to its handler's start, and the wait in ms. The contract: within 2 claim turns.
 */
import { Monque } from '../../../packages/core/src/index.js';
import { type BenchContext, sleep, withFreshCollection } from '../bench-context.js';
import { setOf } from '../command-counter.js';

/** Settings of the group fairness run. */
export interface GroupFairnessSettings {
  readonly backlogJobs: number;
  /** How long each backlog job takes. */
  readonly workMs: number;
  readonly concurrency: number;
  readonly pollInterval: number;
  readonly samples: number;
}

/** One small group's job. */
export interface GroupSample {
  /** Claim writes of the scheduler from just before its enqueue to its start. */
  readonly claimTurns: number;
  readonly waitMs: number;
  /** Backlog jobs not yet started when it started. */
  readonly backlogLeft: number;
}

const NAME = 'bench-tenants';
const START_TIMEOUT_MS = 30_000;

/** Runs the backlog and the samples. */
export async function runGroupFairness(context: BenchContext, settings: GroupFairnessSettings): Promise<GroupSample[]> {
  return withFreshCollection(context, 'group_fairness', async (collection) => {
    const producer = new Monque(context.setupDb, { collectionName: collection });
    await producer.enqueueMany(
      Array.from({ length: settings.backlogJobs }, (_, seq) => ({
        name: NAME,
        data: { seq },
        options: { group: 'tenant-big' },
      })),
    );
    const scheduler = new Monque(context.db, {
      collectionName: collection,
      pollInterval: settings.pollInterval,
      changeStreamWakeups: false,
    });
    let claimWrites = 0;
    const stopListening = context.counter.listen((event) => {
      if (setOf(event).status === 'processing' && String(event.command[event.commandName]) === collection)
        claimWrites += 1;
    });
    let backlogStarted = 0;
    const waiting = new Map<string, (at: number) => void>();
    scheduler.worker(
      NAME,
      async (job) => {
        if (job.group === 'tenant-big') backlogStarted += 1;
        else waiting.get(job.group as string)?.(Date.now());
        await sleep(settings.workMs);
      },
      { concurrency: settings.concurrency },
    );
    try {
      await scheduler.start();
      while (backlogStarted < settings.concurrency * 2) await sleep(10);
      const samples: GroupSample[] = [];
      for (let index = 0; index < settings.samples; index += 1) {
        const group = `tenant-small-${index}`;
        const started = new Promise<number>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`${group} did not start in ${START_TIMEOUT_MS} ms`)),
            START_TIMEOUT_MS,
          );
          waiting.set(group, (at) => {
            clearTimeout(timer);
            resolve(at);
          });
        });
        await sleep(Math.random() * settings.pollInterval);
        const turnsBefore = claimWrites;
        const enqueuedAt = Date.now();
        await producer.enqueue(NAME, { sample: index }, { group });
        const startedAt = await started;
        samples.push({
          claimTurns: claimWrites - turnsBefore,
          waitMs: startedAt - enqueuedAt,
          backlogLeft: settings.backlogJobs - backlogStarted,
        });
      }
      return samples;
    } finally {
      stopListening();
      await scheduler.stop();
    }
  });
}
