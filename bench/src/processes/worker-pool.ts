/**
 * The parent's side of several worker processes (`worker-process.ts`): opens them, starts
 * counting and processing in all of them at once, collects their events and command counts.
 */
import { type CommandCounts, emptyCounts } from '../command-counter.js';
import { ChildProcessHandle } from './child-process.js';
import type { WorkerEvent, WorkerProcessSettings, WorkerReply, WorkerRequest } from './worker-process.js';

const SCRIPT = new URL('./worker-process.ts', import.meta.url);

/** Sums command counts of several processes. */
export function sumCounts(all: readonly CommandCounts[]): CommandCounts {
  const sum: CommandCounts = emptyCounts();
  for (const counts of all) {
    sum.total += counts.total;
    for (const [name, count] of Object.entries(counts.byName)) sum.byName[name] = (sum.byName[name] ?? 0) + count;
    for (const [shape, count] of Object.entries(counts.otherShapes)) {
      sum.otherShapes[shape] = (sum.otherShapes[shape] ?? 0) + count;
    }
    for (const [purpose, count] of Object.entries(counts.byPurpose)) {
      const key = purpose as keyof CommandCounts['byPurpose'];
      sum.byPurpose[key] = (sum.byPurpose[key] ?? 0) + (count ?? 0);
    }
  }
  return sum;
}

/** `size` worker processes running one scheduler each. */
export class WorkerPool {
  private constructor(private readonly workers: ChildProcessHandle<WorkerRequest, WorkerReply>[]) {}

  /**
   * Starts `size` processes and opens a queue in each; `onEvent` gets every handler start and
   * written outcome (with the index of the process).
   */
  static async open(
    size: number,
    settings: WorkerProcessSettings,
    onEvent: (event: WorkerEvent, worker: number) => void,
  ): Promise<WorkerPool> {
    const workers = Array.from({ length: size }, (_, index) => {
      const worker = ChildProcessHandle.start<WorkerRequest, WorkerReply>(SCRIPT, `worker process ${index + 1}`);
      worker.on('events', ({ events }) => {
        for (const event of events) onEvent(event, index);
      });
      return worker;
    });
    const pool = new WorkerPool(workers);
    try {
      await Promise.all(workers.map((worker) => worker.request({ type: 'open', ...settings }, 'ready')));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Resets and starts the command counters of every process. */
  async count(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.request({ type: 'count' }, 'counting')));
  }

  /**
   * Starts processing in every process (the requests leave together).
   * @returns for each process, the ms until its scheduler reported itself started
   */
  async start(): Promise<number[]> {
    const sentAt = performance.now();
    return Promise.all(
      this.workers.map(async (worker) => {
        await worker.request({ type: 'start' }, 'started');
        return Math.round(performance.now() - sentAt);
      }),
    );
  }

  /** Stops counting; resolves with each process's counts (events sent before are delivered first). */
  async report(): Promise<CommandCounts[]> {
    const replies = await Promise.all(this.workers.map((worker) => worker.request({ type: 'report' }, 'report')));
    return replies.map((answer) => answer.commands);
  }

  /** Stops the schedulers and waits for the processes to exit. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.stop({ type: 'close' })));
  }
}
