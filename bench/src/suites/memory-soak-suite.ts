/**
 * Memory soak (Monque only, once): 40 waves of 500 jobs (quick: 10 waves). Targets: heap after GC
 * flat within 10 % from the first to the last wave; timers and listeners back to their counts
 * before the first wave (started compared with started, stopped with stopped).
 */
import type { BenchContext } from '../bench-context.js';
import type { BenchOptions } from '../cli-options.js';
import type { SoakSettings } from '../processes/memory-soak-process.js';
import type { Figure } from '../report.js';
import { type CountChange, compareSoak, runMemorySoak } from '../scenarios/memory-soak.js';
import { log, type Suite, type SuiteResult } from '../suite.js';
import { atMost, holds, ISSUE_14 } from '../targets.js';

const HEAP_CHANGE_LIMIT = 0.1;
const MIB = 2 ** 20;

type Settings = Omit<SoakSettings, 'uri' | 'dbName' | 'collection'>;

function settingsFor(options: BenchOptions): Settings {
  return { waves: options.quick ? 10 : 40, jobsPerWave: 500, concurrency: 50, pollInterval: 200 };
}

/** Least-squares slope of `values` (per step), over their second half: the trend once warmed up. */
function secondHalfSlope(values: readonly number[]): number {
  const half = values.slice(Math.floor(values.length / 2));
  const n = half.length;
  if (n < 2) return Number.NaN;
  const meanX = (n - 1) / 2;
  const meanY = half.reduce((sum, y) => sum + y, 0) / n;
  let num = 0;
  let den = 0;
  half.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return num / den;
}

function describe(changes: readonly CountChange[]): string {
  return changes.length === 0 ? 'unchanged' : changes.map((c) => `${c.key} ${c.before} → ${c.after}`).join(', ');
}

function monqueOnly(scenario: string, metric: string, unit: string, value: number): Figure {
  return {
    scenario,
    metric,
    unit,
    better: 'lower',
    monque: value,
    agenda: null,
    ratio: null,
    runs: { monque: [value], agenda: [] },
    note: 'not measured',
  };
}

async function run(context: BenchContext, options: BenchOptions): Promise<SuiteResult> {
  const settings = settingsFor(options);
  const jobs = settings.waves * settings.jobsPerWave;
  log(`Monque memory soak: ${settings.waves} waves of ${settings.jobsPerWave} jobs…`);
  const result = await runMemorySoak(context, settings, 600_000);
  const comparison = compareSoak(result);
  const first = result.heapAfterWave[0] ?? Number.NaN;
  const last = result.heapAfterWave.at(-1) ?? Number.NaN;
  log(
    `Monque memory soak: heap ${(first / MIB).toFixed(1)} → ${(last / MIB).toFixed(1)} MiB ` +
      `(${(comparison.heapChange * 100).toFixed(1)} %), timers started ${describe(comparison.timerChanges.started)}, ` +
      `stopped ${describe(comparison.timerChanges.stopped)}, listeners ${describe(comparison.listenerChanges.started)}`,
  );
  const slopeKiB = secondHalfSlope(result.heapAfterWave) / 1024;
  const scenario = `memory soak, ${jobs.toLocaleString('en-US')} jobs in ${settings.waves} waves`;
  const timerChanges = [
    ...comparison.timerChanges.started,
    ...comparison.timerChanges.stopped,
    ...comparison.trackedTimerChanges.started,
    ...comparison.trackedTimerChanges.stopped,
  ];
  const listenerChanges = [...comparison.listenerChanges.started, ...comparison.listenerChanges.stopped];
  return {
    figures: [
      monqueOnly(scenario, 'heap after GC, first wave', 'MiB', first / MIB),
      monqueOnly(scenario, 'heap after GC, last wave', 'MiB', last / MIB),
      monqueOnly(scenario, 'heap change first → last wave', '%', comparison.heapChange * 100),
      monqueOnly(scenario, 'heap trend over the second half', 'KiB/wave', slopeKiB),
    ],
    targets: [
      atMost({
        target: `memory: heap after GC flat within ${HEAP_CHANGE_LIMIT * 100} % from the first to the last wave`,
        value: Math.abs(comparison.heapChange) * 100,
        limit: HEAP_CHANGE_LIMIT * 100,
        unit: ' %',
        measured: `${(first / MIB).toFixed(2)} → ${(last / MIB).toFixed(2)} MiB (${(comparison.heapChange * 100).toFixed(1)} %)`,
        source: ISSUE_14,
      }),
      holds({
        target: 'memory: timers back to their idle counts after the soak (started vs started, stopped vs stopped)',
        met: timerChanges.length === 0,
        measured: `started: ${describe(comparison.timerChanges.started)}; stopped: ${describe(comparison.timerChanges.stopped)}`,
        detail: describe(timerChanges),
        source: ISSUE_14,
      }),
      holds({
        target: "memory: Monque's and the client's listener counts unchanged after the soak",
        met: listenerChanges.length === 0,
        measured: `started: ${describe(comparison.listenerChanges.started)}; stopped: ${describe(comparison.listenerChanges.stopped)}`,
        detail: describe(listenerChanges),
        source: ISSUE_14,
      }),
    ],
    details: {
      memorySoak: {
        method:
          `one Monque instance (concurrency ${settings.concurrency}, poll ${settings.pollInterval} ms, no-op handler) in a child ` +
          `process run with --expose-gc; each wave: enqueueMany of ${settings.jobsPerWave} jobs, wait for every job:complete, ` +
          'deleteMany({}) on the collection through the same client (not through Monque), gc() twice, heapUsed. ' +
          'process.getActiveResourcesInfo() (median per type over 9 samples spread over 1.5 poll intervals), timers created ' +
          'through the global setTimeout/setInterval with their creator (a wrapper installed in that process), and listener counts of the Monque ' +
          'instance and of its MongoClient are taken before start(), once started and idle before the first wave, once ' +
          'idle after the last wave, and after stop(). Maps inside Monque are not reachable through the public API: the heap ' +
          'figure stands for them.',
        heapBeforeWavesMiB: result.heapBeforeWaves / MIB,
        heapTrendSecondHalfKiBPerWave: slopeKiB,
        heapAfterWaveMiB: result.heapAfterWave.map((bytes) => Number((bytes / MIB).toFixed(3))),
        waveMs: result.waveMs.map((ms) => Math.round(ms)),
        jobsCompleted: result.jobsCompleted,
        comparison,
        snapshots: {
          stoppedBefore: result.stoppedBefore,
          startedBefore: result.startedBefore,
          startedAfter: result.startedAfter,
          stoppedAfter: result.stoppedAfter,
        },
      },
    },
    settings,
    notes: [
      `Memory soak: other resources (driver sockets etc.) started ${describe(comparison.otherResourceChanges.started)}; ` +
        `stopped ${describe(comparison.otherResourceChanges.stopped)}`,
    ],
  };
}

/** The memory soak scenario. */
export const memorySoakSuite: Suite = { name: 'memory', run };
