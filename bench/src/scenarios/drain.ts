/**
 * Drain: pre-enqueued no-op jobs processed by one scheduler. Measures throughput, database
 * commands per processed job (by purpose and by command name) and the CPU time of this process
 * (which hosts only the scheduler while it drains; the database runs elsewhere).
 */
import { type BenchContext, withFreshCollection } from '../bench-context.js';
import type { CommandClassifier, CommandCounts } from '../command-counter.js';
import type { JobPayload, QueueLibrary } from '../queues/bench-queue.js';

/** Settings of the drain. */
export interface DrainSettings {
  readonly jobs: number;
  readonly concurrency: number;
  readonly pollInterval: number;
  /** Gives up after this long (a scheduler that stalls must not hang the benchmark). */
  readonly timeoutMs: number;
}

/** One measured run. */
export interface DrainResult {
  readonly jobsPerSecond: number;
  readonly commandsPerJob: number;
  /** CPU time (user + system) of this process per processed job, in microseconds. */
  readonly cpuMicrosPerJob: number;
  readonly commands: CommandCounts;
}

const PRE_ENQUEUE_CHUNK = 50;

/** Enqueues `count` no-op jobs through an unmonitored client (`enqueueMany` when the library has it). */
export async function preEnqueue(
  context: BenchContext,
  library: QueueLibrary,
  collection: string,
  count: number,
): Promise<void> {
  const producer = await library.open(context.setupDb, collection, { pollInterval: 1000, localWakeups: false });
  try {
    const jobs: JobPayload[] = Array.from({ length: count }, (_, seq) => ({ seq, enqueuedAt: Date.now() }));
    if (producer.enqueueMany) {
      await producer.enqueueMany(jobs);
      return;
    }
    for (let start = 0; start < jobs.length; start += PRE_ENQUEUE_CHUNK) {
      await Promise.all(jobs.slice(start, start + PRE_ENQUEUE_CHUNK).map((job) => producer.enqueue(job)));
    }
  } finally {
    await producer.close();
  }
}

/** Pre-enqueues `settings.jobs` jobs, then times one scheduler processing all of them. */
export async function runDrain(
  context: BenchContext,
  library: QueueLibrary,
  classify: CommandClassifier,
  settings: DrainSettings,
): Promise<DrainResult> {
  return withFreshCollection(context, `drain_${library.label}`, async (collection) => {
    await preEnqueue(context, library, collection, settings.jobs);
    const scheduler = await library.open(context.db, collection, {
      pollInterval: settings.pollInterval,
      localWakeups: false,
    });
    try {
      let done = 0;
      let handled = 0;
      let finish: () => void = () => {};
      const allDone = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const timeout = setTimeout(finish, settings.timeoutMs);
      context.counter.start(classify);
      const cpuBefore = process.cpuUsage();
      const startedAt = performance.now();
      await scheduler.startProcessing({
        concurrency: settings.concurrency,
        onHandlerStart: () => {
          handled += 1;
        },
        onJobDone: () => {
          done += 1;
          if (done >= settings.jobs) finish();
        },
      });
      await allDone;
      const seconds = (performance.now() - startedAt) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const commands = context.counter.stop();
      clearTimeout(timeout);
      if (done < settings.jobs) {
        throw new Error(
          `${library.label} drained ${done}/${settings.jobs} jobs (${handled} handlers started) in ${settings.timeoutMs} ms`,
        );
      }
      return {
        jobsPerSecond: done / seconds,
        commandsPerJob: commands.total / done,
        cpuMicrosPerJob: (cpu.user + cpu.system) / done,
        commands,
      };
    } finally {
      await scheduler.close();
    }
  });
}
