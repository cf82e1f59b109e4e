/**
 * Workflows (Monque only): a fan-in, many children and one parent written with one `flow()`, and a
 * chain, each job depending on the one before (`enqueue` with `dependsOn`). One scheduler, started
 * and idle before the clock starts; the clock runs from the first write (the `flow()` call, the
 * first `enqueue`) until the library reports the last job completed. Every command of the
 * scheduler's client in that window is counted (writes included), and divided by the jobs.
 */
import type { Db } from 'mongodb';
import { type FlowSpec, Monque } from '../../../packages/core/src/index.js';
import { type BenchContext, withFreshCollection } from '../bench-context.js';
import type { CommandClassifier, CommandCounts } from '../command-counter.js';

/** What the two workflows look like. */
export interface WorkflowSettings {
  /** Children of the fan-in's parent. */
  readonly fanIn: number;
  /** Jobs of the chain. */
  readonly chain: number;
  /** Concurrency of the children's worker. */
  readonly concurrency: number;
  readonly pollInterval: number;
  readonly timeoutMs: number;
}

/** One measured workflow. */
export interface WorkflowResult {
  readonly jobs: number;
  /** From the first write to the last completion. */
  readonly elapsedMs: number;
  /** Of that, the writing (`flow()` returned, or every `enqueue` of the chain returned). */
  readonly writeMs: number;
  readonly commandsPerJob: number;
  readonly commands: CommandCounts;
}

function scheduler(db: Db, collection: string, pollInterval: number): Monque {
  return new Monque(db, { collectionName: collection, pollInterval, changeStreamWakeups: false });
}

/** Resolves when `name`'s job completes; rejects after `timeoutMs`. */
function completionOf(monque: Monque, name: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not complete within ${timeoutMs} ms`)), timeoutMs);
    monque.on('job:complete', ({ job }) => {
      if (job.name !== name) return;
      clearTimeout(timer);
      resolve();
    });
  });
}

async function measure(
  context: BenchContext,
  classify: CommandClassifier,
  prefix: string,
  settings: WorkflowSettings,
  jobs: number,
  body: (monque: Monque) => { written: Promise<void>; done: Promise<void> },
): Promise<WorkflowResult> {
  return withFreshCollection(context, prefix, async (collection) => {
    const monque = scheduler(context.db, collection, settings.pollInterval);
    try {
      await monque.countJobs(); // indexes
      context.counter.start(classify);
      const startedAt = performance.now();
      const { written, done } = body(monque);
      await written;
      const writeMs = performance.now() - startedAt;
      await done;
      const elapsedMs = performance.now() - startedAt;
      const commands = context.counter.stop();
      return { jobs, elapsedMs, writeMs, commandsPerJob: commands.total / jobs, commands };
    } finally {
      await monque.stop();
    }
  });
}

/** A parent with `settings.fanIn` children, written with one `flow()`. */
export function runFanIn(
  context: BenchContext,
  classify: CommandClassifier,
  settings: WorkflowSettings,
): Promise<WorkflowResult> {
  return measure(context, classify, 'fan_in', settings, settings.fanIn + 1, (monque) => {
    monque.worker('fan-in-child', (job) => job.data, { concurrency: settings.concurrency });
    monque.worker('fan-in-parent', async (_job, { dependencies }) => (await dependencies()).length);
    const done = completionOf(monque, 'fan-in-parent', settings.timeoutMs);
    const spec: FlowSpec = {
      name: 'fan-in-parent',
      data: {},
      children: Array.from({ length: settings.fanIn }, (_, seq) => ({ name: 'fan-in-child', data: { seq } })),
    };
    const written = monque.start().then(async () => {
      await monque.flow(spec);
    });
    return { written, done };
  });
}

/** `settings.chain` jobs, each depending on the one before, enqueued one after another. */
export function runChain(
  context: BenchContext,
  classify: CommandClassifier,
  settings: WorkflowSettings,
): Promise<WorkflowResult> {
  return measure(context, classify, 'chain', settings, settings.chain, (monque) => {
    const last = settings.chain - 1;
    monque.worker('chain-link', (job) => (job.data as { seq: number }).seq);
    monque.worker('chain-end', () => 'done');
    const done = completionOf(monque, 'chain-end', settings.timeoutMs);
    const written = monque.start().then(async () => {
      let previous = await monque.enqueue('chain-link', { seq: 0 });
      for (let seq = 1; seq <= last; seq += 1) {
        previous = await monque.enqueue(
          seq === last ? 'chain-end' : 'chain-link',
          { seq },
          {
            dependsOn: [previous._id],
          },
        );
      }
    });
    return { written, done };
  });
}
