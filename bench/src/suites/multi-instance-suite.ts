/**
 * Multi-instance drain (repeated): 4 processes drain 500 jobs. Targets: Monque ≤ 0.15 commands/job
 * in total, and every job exactly once (both libraries are checked).
 */
import type { BenchContext } from '../bench-context.js';
import type { BenchOptions } from '../cli-options.js';
import { figureOf } from '../report.js';
import { type MultiInstanceResult, type MultiInstanceSettings, runMultiInstance } from '../scenarios/multi-instance.js';
import { median } from '../stats.js';
import { log, orderFor, perLibrary, type Suite, type SuiteResult } from '../suite.js';
import { atMost, holds, ISSUE_14 } from '../targets.js';
import { perJob } from './drain-suite.js';

const SETTINGS: MultiInstanceSettings = {
  instances: 4,
  jobs: 500,
  concurrency: 50,
  pollInterval: 1000,
  timeoutMs: 180_000,
};
const COMMANDS_LIMIT = 0.15;

function summary(result: MultiInstanceResult): Record<string, unknown> {
  return {
    jobsPerSecond: Number(result.jobsPerSecond.toFixed(1)),
    commandsPerJob: Number(result.commandsPerJob.toFixed(4)),
    byPurpose: perJob(result.commands, SETTINGS.jobs, 'byPurpose'),
    byName: perJob(result.commands, SETTINGS.jobs, 'byName'),
    otherShapes: result.commands.otherShapes,
    commandsPerInstance: result.commandsPerInstance,
    jobsPerInstance: result.jobsPerInstance,
    startMs: result.startMs,
    firstJobMs: result.firstJobMs,
    distinctJobs: result.distinctJobs,
    duplicateRuns: result.duplicateRuns,
    neverRan: result.neverRan,
    exactlyOnce: result.exactlyOnce,
  };
}

async function run(context: BenchContext, options: BenchOptions): Promise<SuiteResult> {
  const runs = perLibrary<MultiInstanceResult[]>(() => []);
  for (let runIndex = 0; runIndex < options.runs; runIndex += 1) {
    for (const { library } of orderFor(runIndex, options)) {
      const result = await runMultiInstance(context, library, SETTINGS);
      runs[library.label].push(result);
      log(
        `run ${runIndex + 1}/${options.runs} ${library.label} ${SETTINGS.instances} instances: ` +
          `${Math.round(result.jobsPerSecond)} jobs/s, ${result.commandsPerJob.toFixed(3)} commands/job, ` +
          `jobs per instance ${JSON.stringify(result.jobsPerInstance)}, start() took ${JSON.stringify(result.startMs)} ms, ` +
          `first job after ${JSON.stringify(result.firstJobMs)} ms, exactly once: ${result.exactlyOnce}`,
      );
    }
  }
  const scenario = `multi-instance drain, ${SETTINGS.instances} processes × ${SETTINGS.jobs} jobs`;
  const figure = (metric: string, unit: string, better: 'higher' | 'lower', pick: (r: MultiInstanceResult) => number) =>
    figureOf({ scenario, metric, unit, better }, runs.Monque.map(pick), runs.Agenda.map(pick));
  const commands = median(runs.Monque.map((r) => r.commandsPerJob));
  const exactlyOnce = (label: 'Monque' | 'Agenda') => {
    const bad = runs[label].filter((r) => !r.exactlyOnce);
    return holds({
      target: `${label}: every job exactly once across ${SETTINGS.instances} instances`,
      met: bad.length === 0,
      measured: `${runs[label].length - bad.length}/${runs[label].length} runs exactly once`,
      detail: bad
        .map((r) => `${r.duplicateRuns} duplicate(s), ${r.neverRan} never ran, ${r.distinctJobs} distinct`)
        .join('; '),
      source: ISSUE_14,
    });
  };
  return {
    figures: [
      figure('throughput', 'jobs/s', 'higher', (r) => r.jobsPerSecond),
      figure('commands per job, all processes', 'commands', 'lower', (r) => r.commandsPerJob),
      figure('duplicate runs', 'jobs', 'lower', (r) => r.duplicateRuns),
    ],
    targets: [
      atMost({
        target: `${SETTINGS.instances} instances draining ${SETTINGS.jobs} jobs ≤ ${COMMANDS_LIMIT} commands/job in total`,
        value: commands,
        limit: COMMANDS_LIMIT,
        unit: ' commands/job',
        source: ISSUE_14,
      }),
      exactlyOnce('Monque'),
      exactlyOnce('Agenda'),
    ],
    details: {
      multiInstance: {
        method:
          `${SETTINGS.jobs} no-op jobs pre-enqueued through an unmonitored client; ${SETTINGS.instances} child processes, ` +
          `each with its own MongoClient (command monitoring) and one scheduler (concurrency ${SETTINGS.concurrency}, ` +
          `poll ${SETTINGS.pollInterval} ms); counted from start() to the last completion, in all processes; ` +
          'handler starts counted per job _id',
        runs: { Monque: runs.Monque.map(summary), Agenda: runs.Agenda.map(summary) },
      },
    },
    settings: SETTINGS,
    notes: [],
  };
}

/** The multi-instance drain scenario. */
export const multiInstanceSuite: Suite = { name: 'multi-instance', run };
