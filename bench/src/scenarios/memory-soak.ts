/**
 * Memory soak (Monque only): many jobs through one instance in waves, in a child process started
 * with `--expose-gc` (`processes/memory-soak-process.ts`). This side starts it on a fresh
 * collection and compares the snapshots it took.
 */
import { type BenchContext, withFreshCollection } from '../bench-context.js';
import { ChildProcessHandle } from '../processes/child-process.js';
import type { Snapshot, SoakReply, SoakRequest, SoakResult, SoakSettings } from '../processes/memory-soak-process.js';

const SCRIPT = new URL('../processes/memory-soak-process.ts', import.meta.url);

/** A count that differs between two snapshots. */
export interface CountChange {
  readonly key: string;
  readonly before: number;
  readonly after: number;
}

/** Keys whose counts differ between `before` and `after`. */
export function changes(before: Record<string, number>, after: Record<string, number>): CountChange[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys]
    .map((key) => ({ key, before: before[key] ?? 0, after: after[key] ?? 0 }))
    .filter((change) => change.before !== change.after);
}

/** Resource types that are timers (what Monque itself may leave behind). */
export const TIMER_RESOURCES: ReadonlySet<string> = new Set(['Timeout', 'Immediate']);

/** How the state before the first wave compares with the state after the last. */
export interface SoakComparison {
  readonly heapChange: number;
  /** Timers, started and stopped, before vs after. */
  readonly timerChanges: { started: CountChange[]; stopped: CountChange[] };
  /** Every other resource type (sockets of the driver's pool, pipes, …). */
  readonly otherResourceChanges: { started: CountChange[]; stopped: CountChange[] };
  readonly listenerChanges: { started: CountChange[]; stopped: CountChange[] };
  /** Tracked timers (with their creators) that differ, before vs after. */
  readonly trackedTimerChanges: { started: CountChange[]; stopped: CountChange[] };
}

function tally(items: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[item] = (counts[item] ?? 0) + 1;
  return counts;
}

function split(before: Snapshot, after: Snapshot, timers: boolean): CountChange[] {
  return changes(before.resources, after.resources).filter((change) => TIMER_RESOURCES.has(change.key) === timers);
}

function listenerChanges(before: Snapshot, after: Snapshot): CountChange[] {
  return [
    ...changes(before.monqueListeners, after.monqueListeners).map((c) => ({ ...c, key: `monque.${c.key}` })),
    ...changes(before.clientListeners, after.clientListeners).map((c) => ({ ...c, key: `client.${c.key}` })),
  ];
}

/** Compares the soak's snapshots like for like (started with started, stopped with stopped). */
export function compareSoak(result: SoakResult): SoakComparison {
  const first = result.heapAfterWave[0] ?? Number.NaN;
  const last = result.heapAfterWave.at(-1) ?? Number.NaN;
  return {
    heapChange: (last - first) / first,
    timerChanges: {
      started: split(result.startedBefore, result.startedAfter, true),
      stopped: split(result.stoppedBefore, result.stoppedAfter, true),
    },
    otherResourceChanges: {
      started: split(result.startedBefore, result.startedAfter, false),
      stopped: split(result.stoppedBefore, result.stoppedAfter, false),
    },
    listenerChanges: {
      started: listenerChanges(result.startedBefore, result.startedAfter),
      stopped: listenerChanges(result.stoppedBefore, result.stoppedAfter),
    },
    trackedTimerChanges: {
      started: changes(tally(result.startedBefore.timers), tally(result.startedAfter.timers)),
      stopped: changes(tally(result.stoppedBefore.timers), tally(result.stoppedAfter.timers)),
    },
  };
}

/** Runs the soak in its own process on a fresh collection. */
export async function runMemorySoak(
  context: BenchContext,
  settings: Omit<SoakSettings, 'uri' | 'dbName' | 'collection'>,
  timeoutMs: number,
): Promise<SoakResult> {
  return withFreshCollection(context, 'soak_Monque', async (collection) => {
    const child = ChildProcessHandle.start<SoakRequest, SoakReply>(SCRIPT, 'memory soak process', ['--expose-gc']);
    try {
      const answer = await child.request(
        { type: 'run', uri: context.uri, dbName: context.db.databaseName, collection, ...settings },
        'soaked',
        timeoutMs,
      );
      return answer.result;
    } finally {
      await child.stop({ type: 'close' });
    }
  });
}
