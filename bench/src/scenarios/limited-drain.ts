/**
 * Drain under flow control (Monque only: Agenda has no limit across processes, no groups and no
 * rate limits; its `concurrency` and `lockLimit` are per process): pre-enqueued no-op jobs, one
 * scheduler, with a group limit (jobs spread over groups, `groupConcurrency`) or a rate limit.
 * Measures what the plain drain measures (jobs/s, commands per job by purpose) and checks the
 * limit on the handlers' own ledger: most handlers of one group running at once, most starts in
 * any window.
 */
import { Monque } from '../../../packages/core/src/index.js';
import { type BenchContext, withFreshCollection } from '../bench-context.js';
import type { CommandCounts } from '../command-counter.js';
import type { FlowOptions } from '../queues/bench-queue.js';
import { monquePurpose } from '../queues/command-purposes.js';

/** Settings of one limited drain. */
export interface LimitedDrainSettings {
  readonly jobs: number;
  readonly concurrency: number;
  readonly pollInterval: number;
  /** Groups the jobs are spread over, round robin (0: no groups). */
  readonly groups: number;
  readonly flow: FlowOptions;
  /** How long each handler takes (0: a no-op job). */
  readonly workMs: number;
  readonly timeoutMs: number;
}

/** One measured run. */
export interface LimitedDrainResult {
  readonly jobsPerSecond: number;
  readonly commandsPerJob: number;
  readonly commands: CommandCounts;
  /** Most handlers of one group running at once (0 without groups). */
  readonly peakPerGroup: number;
  /** Most handlers running at once. */
  readonly peakRunning: number;
  /** Most starts within any window of the rate limit's duration (0 without a rate limit). */
  readonly worstWindow: number;
}

const NAME = 'bench-limited';

/** Most of `times` (sorted) within any half-open window of `windowMs`. */
export function worstWindowOf(times: readonly number[], windowMs: number): number {
  let worst = 0;
  for (let i = 0, j = 0; i < times.length; i += 1) {
    while ((times[i] as number) - (times[j] as number) >= windowMs) j += 1;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
}

/** Pre-enqueues the jobs, then times one scheduler draining them under its limits. */
export async function runLimitedDrain(
  context: BenchContext,
  settings: LimitedDrainSettings,
): Promise<LimitedDrainResult> {
  return withFreshCollection(context, 'limited', async (collection) => {
    const producer = new Monque(context.setupDb, { collectionName: collection });
    await producer.enqueueMany(
      Array.from({ length: settings.jobs }, (_, seq) => ({
        name: NAME,
        data: { seq },
        ...(settings.groups > 0 ? { options: { group: `tenant-${seq % settings.groups}` } } : {}),
      })),
    );
    const scheduler = new Monque(context.db, {
      collectionName: collection,
      pollInterval: settings.pollInterval,
      changeStreamWakeups: false,
    });
    const running = new Map<string, number>();
    let runningAll = 0;
    let peakPerGroup = 0;
    let peakRunning = 0;
    const starts: number[] = [];
    let done = 0;
    let finish: () => void = () => {};
    const allDone = new Promise<void>((resolve) => {
      finish = resolve;
    });
    scheduler.worker(
      NAME,
      async (job) => {
        const group = job.group ?? '';
        running.set(group, (running.get(group) ?? 0) + 1);
        runningAll += 1;
        if (job.group !== undefined) peakPerGroup = Math.max(peakPerGroup, running.get(group) ?? 0);
        peakRunning = Math.max(peakRunning, runningAll);
        starts.push(Date.now());
        if (settings.workMs > 0) await new Promise((resolve) => setTimeout(resolve, settings.workMs));
        running.set(group, (running.get(group) ?? 1) - 1);
        runningAll -= 1;
      },
      { concurrency: settings.concurrency, ...settings.flow },
    );
    scheduler.on('job:complete', () => {
      done += 1;
      if (done >= settings.jobs) finish();
    });
    try {
      const timeout = setTimeout(finish, settings.timeoutMs);
      context.counter.start(monquePurpose);
      const startedAt = performance.now();
      await scheduler.start();
      await allDone;
      const seconds = (performance.now() - startedAt) / 1000;
      const commands = context.counter.stop();
      clearTimeout(timeout);
      if (done < settings.jobs)
        throw new Error(`limited drain: ${done}/${settings.jobs} jobs in ${settings.timeoutMs} ms`);
      const duration = settings.flow.rateLimit?.duration;
      return {
        jobsPerSecond: done / seconds,
        commandsPerJob: commands.total / done,
        commands,
        peakPerGroup,
        peakRunning,
        worstWindow: duration === undefined ? 0 : worstWindowOf(starts, duration),
      };
    } finally {
      await scheduler.stop();
      await context.setupDb.collection(`${collection}_limits`).deleteMany({});
    }
  });
}
