/**
 * The memory soak, in a process of its own started with `--expose-gc`: one Monque instance (public
 * API only) runs many jobs in waves; between waves the collection is emptied with `deleteMany`
 * (not through Monque) and the heap is measured after a forced GC. Active resources (timers,
 * sockets, …) and listener counts are taken with Monque stopped and started, before the first wave
 * and after the last, so like is compared with like.
 *
 * Protocol: parent → `{ type: 'run', ... }`; child → `{ type: 'soaked', result }`, then it exits
 * (or on `{ type: 'close' }`).
 */
import { MongoClient } from 'mongodb';
import { Monque } from '../../../packages/core/src/index.js';
import { sleep } from '../bench-context.js';
import { reply, serveRequests } from './child-process.js';
import { installTimerTracker, liveTimers } from './timer-tracker.js';

/** Settings of the soak. */
export interface SoakSettings {
  readonly uri: string;
  readonly dbName: string;
  readonly collection: string;
  readonly waves: number;
  readonly jobsPerWave: number;
  readonly concurrency: number;
  readonly pollInterval: number;
}

/** Counts per resource type (`process.getActiveResourcesInfo()`) and per event name. */
export interface Snapshot {
  readonly resources: Record<string, number>;
  /** Listeners on the Monque instance, per event. */
  readonly monqueListeners: Record<string, number>;
  /** Listeners on the MongoClient (Monque adds its own), per event. */
  readonly clientListeners: Record<string, number>;
  /** Timers created through the globals that keep the process up, with their creator (see `timer-tracker.ts`). */
  readonly timers: string[];
}

/** What the soak measured. */
export interface SoakResult {
  /** heapUsed (bytes) after GC, before the first wave (Monque started, idle). */
  readonly heapBeforeWaves: number;
  /** heapUsed (bytes) after GC, after each wave. */
  readonly heapAfterWave: number[];
  readonly waveMs: number[];
  readonly jobsCompleted: number;
  readonly stoppedBefore: Snapshot;
  readonly startedBefore: Snapshot;
  readonly startedAfter: Snapshot;
  readonly stoppedAfter: Snapshot;
}

/** Messages from the parent. */
export type SoakRequest = ({ type: 'run' } & SoakSettings) | { type: 'close' };
/** Messages to the parent. */
export type SoakReply = { type: 'soaked'; result: SoakResult };

const JOB = 'soak';
const SNAPSHOT_SAMPLES = 9;

function collectGarbage(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the soak process needs --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function countsOf(names: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}

/** Per key, the median of its count over `samples` (a missing key counts 0); keys with median 0 are left out. */
function medianCounts(samples: readonly Record<string, number>[]): Record<string, number> {
  const keys = new Set(samples.flatMap((sample) => Object.keys(sample)));
  const result: Record<string, number> = {};
  for (const key of keys) {
    const sorted = samples.map((sample) => sample[key] ?? 0).sort((a, b) => a - b);
    const middle = sorted[Math.floor(sorted.length / 2)] ?? 0;
    if (middle > 0) result[key] = middle;
  }
  return result;
}

function listenersOf(emitter: { eventNames(): (string | symbol)[]; listenerCount(name: string | symbol): number }) {
  const counts: Record<string, number> = {};
  for (const name of emitter.eventNames()) counts[String(name)] = emitter.listenerCount(name);
  return counts;
}

/**
 * Counts are the median over samples spread across more than one poll interval: a timer that is
 * re-armed every poll counts (it is there most of the time), one in flight for a moment does not,
 * and a leak shows in every sample.
 */
async function snapshot(monque: Monque, client: MongoClient, pollInterval: number): Promise<Snapshot> {
  const resourceSamples: Record<string, number>[] = [];
  const timerSamples: Record<string, number>[] = [];
  for (let sample = 0; sample < SNAPSHOT_SAMPLES; sample += 1) {
    timerSamples.push(countsOf(liveTimers()));
    resourceSamples.push(countsOf(process.getActiveResourcesInfo()));
    await sleep((pollInterval * 1.5) / SNAPSHOT_SAMPLES);
  }
  const timers = medianCounts(timerSamples);
  return {
    resources: medianCounts(resourceSamples),
    monqueListeners: listenersOf(monque),
    clientListeners: listenersOf(client),
    timers: Object.entries(timers).flatMap(([where, count]) => Array.from({ length: count }, () => where)),
  };
}

async function soak(settings: SoakSettings): Promise<SoakResult> {
  installTimerTracker();
  const client = new MongoClient(settings.uri);
  await client.connect();
  const collection = client.db(settings.dbName).collection(settings.collection);
  const monque = new Monque(client.db(settings.dbName), {
    collectionName: settings.collection,
    pollInterval: settings.pollInterval,
    changeStreamWakeups: false,
  });
  let completed = 0;
  let waveTarget = 0;
  let waveDone: (() => void) | undefined;
  monque.worker(JOB, () => {}, { concurrency: settings.concurrency });
  monque.on('job:complete', () => {
    completed += 1;
    if (completed >= waveTarget) waveDone?.();
  });
  monque.on('job:error', ({ error }) => process.stderr.write(`soak job:error ${error.message}\n`));
  try {
    collectGarbage();
    const stoppedBefore = await snapshot(monque, client, settings.pollInterval);
    await monque.start();
    await sleep(settings.pollInterval * 2);
    const startedBefore = await snapshot(monque, client, settings.pollInterval);
    const heapBeforeWaves = collectGarbage();
    const heapAfterWave: number[] = [];
    const waveMs: number[] = [];
    for (let wave = 0; wave < settings.waves; wave += 1) {
      const startedAt = performance.now();
      waveTarget += settings.jobsPerWave;
      const done = new Promise<void>((resolve) => {
        waveDone = resolve;
      });
      const jobs = Array.from({ length: settings.jobsPerWave }, (_, index) => ({
        name: JOB,
        data: { wave, index },
      }));
      await monque.enqueueMany(jobs);
      await done;
      await collection.deleteMany({});
      waveMs.push(performance.now() - startedAt);
      heapAfterWave.push(collectGarbage());
    }
    await sleep(settings.pollInterval * 2);
    const startedAfter = await snapshot(monque, client, settings.pollInterval);
    await monque.stop();
    collectGarbage();
    const stoppedAfter = await snapshot(monque, client, settings.pollInterval);
    return {
      heapBeforeWaves,
      heapAfterWave,
      waveMs,
      jobsCompleted: completed,
      stoppedBefore,
      startedBefore,
      startedAfter,
      stoppedAfter,
    };
  } finally {
    await monque.stop();
    await client.close();
  }
}

serveRequests<SoakRequest>(async (request) => {
  if (request.type === 'close') process.exit(0);
  const result = await soak(request);
  reply({ type: 'soaked', result } satisfies SoakReply);
  process.exit(0);
});
