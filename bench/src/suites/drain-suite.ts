/**
 * Drain: 500 pre-enqueued no-op jobs, one scheduler (repeated). Throughput, commands and CPU per job.
 * Targets: ≤ 0.3 commands/job and ≥ 5× Agenda's jobs/s.
 */
import type { BenchContext } from '../bench-context.js';
import type { BenchOptions } from '../cli-options.js';
import type { CommandCounts } from '../command-counter.js';
import { figureOf } from '../report.js';
import { type DrainResult, runDrain } from '../scenarios/drain.js';
import { median } from '../stats.js';
import { log, orderFor, type PerLibrary, perLibrary, type Suite, type SuiteResult } from '../suite.js';
import { atLeast, atMost, ISSUE_14, ISSUE_22 } from '../targets.js';

const DRAIN = { jobs: 500, concurrency: 50, pollInterval: 1000, timeoutMs: 120_000 } as const;
const COMMANDS_LIMIT = 0.3;
const SPEEDUP_LIMIT = 5;
/** Flow control must cost the plain drain nothing: it stays where it was. */
const FLOW_COMMANDS_LIMIT = 0.07;
const FLOW_SPEEDUP_LIMIT = 25;

/** Per-job shares of `counts` under `key`. */
export function perJob(counts: CommandCounts, jobs: number, key: 'byPurpose' | 'byName'): Record<string, number> {
  const shares: Record<string, number> = {};
  for (const [name, count] of Object.entries(counts[key])) shares[name] = Number(((count ?? 0) / jobs).toFixed(4));
  return shares;
}

function medianRunCommands(runs: PerLibrary<DrainResult[]>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const label of ['Monque', 'Agenda'] as const) {
    const sorted = [...runs[label]].sort((a, b) => a.commandsPerJob - b.commandsPerJob);
    const middle = sorted[Math.floor(sorted.length / 2)];
    if (!middle) continue;
    result[label] = {
      byPurpose: perJob(middle.commands, DRAIN.jobs, 'byPurpose'),
      byName: perJob(middle.commands, DRAIN.jobs, 'byName'),
      ...(Object.keys(middle.commands.otherShapes).length > 0 ? { otherShapes: middle.commands.otherShapes } : {}),
    };
  }
  return result;
}

async function run(context: BenchContext, options: BenchOptions): Promise<SuiteResult> {
  const runs = perLibrary<DrainResult[]>(() => []);
  for (let runIndex = 0; runIndex < options.runs; runIndex += 1) {
    for (const { library, classify } of orderFor(runIndex, options)) {
      const drain = await runDrain(context, library, classify, DRAIN);
      runs[library.label].push(drain);
      log(
        `run ${runIndex + 1}/${options.runs} ${library.label} drain: ${Math.round(drain.jobsPerSecond)} jobs/s, ` +
          `${drain.commandsPerJob.toFixed(3)} commands/job ${JSON.stringify(drain.commands.byPurpose)}`,
      );
    }
  }
  const scenario = `drain ${DRAIN.jobs}, concurrency ${DRAIN.concurrency}`;
  const figure = (metric: string, unit: string, better: 'higher' | 'lower', pick: (r: DrainResult) => number) =>
    figureOf({ scenario, metric, unit, better }, runs.Monque.map(pick), runs.Agenda.map(pick));
  const commands = median(runs.Monque.map((r) => r.commandsPerJob));
  const speedup = median(runs.Monque.map((r) => r.jobsPerSecond)) / median(runs.Agenda.map((r) => r.jobsPerSecond));
  const drainCommandsPerJob = medianRunCommands(runs);
  return {
    figures: [
      figure('throughput', 'jobs/s', 'higher', (r) => r.jobsPerSecond),
      figure('database commands per job', 'commands', 'lower', (r) => r.commandsPerJob),
      figure('scheduler CPU per job', 'µs', 'lower', (r) => r.cpuMicrosPerJob),
    ],
    targets: [
      atMost({
        target: `drain ≤ ${COMMANDS_LIMIT} database commands per job`,
        value: commands,
        limit: COMMANDS_LIMIT,
        unit: ' commands/job',
        source: ISSUE_14,
      }),
      atLeast({
        target: `drain ≥ ${SPEEDUP_LIMIT}× Agenda's jobs/s`,
        value: speedup,
        limit: SPEEDUP_LIMIT,
        unit: '×',
        source: ISSUE_14,
      }),
      atMost({
        target: `with flow control in the engine, the plain drain stays ≤ ${FLOW_COMMANDS_LIMIT} commands per job`,
        value: commands,
        limit: FLOW_COMMANDS_LIMIT,
        unit: ' commands/job',
        source: ISSUE_22,
      }),
      atLeast({
        target: `with flow control in the engine, the plain drain stays ≥ ${FLOW_SPEEDUP_LIMIT}× Agenda's jobs/s`,
        value: speedup,
        limit: FLOW_SPEEDUP_LIMIT,
        unit: '×',
        source: ISSUE_22,
      }),
    ],
    details: { drainCommandsPerJob },
    settings: DRAIN,
    notes: [`Drain, commands per job (median run): ${JSON.stringify(drainCommandsPerJob)}`],
  };
}

/** The drain scenario. */
export const drainSuite: Suite = { name: 'drain', run };
