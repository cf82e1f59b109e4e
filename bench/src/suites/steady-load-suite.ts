/**
 * Steady load (once per library: one run is a whole offer window): a producer process offers
 * `--steady-rate` jobs/s (default 100) for `--steady-seconds` (default 60, quick 10) to 2 worker
 * processes. No numeric target in issue 14; the benchmark checks that Monque held the offered
 * rate and never started an attempt twice.
 */
import type { BenchContext } from '../bench-context.js';
import type { BenchOptions } from '../cli-options.js';
import { offerPlan } from '../processes/offer-plan.js';
import type { Figure } from '../report.js';
import type { Percentiles } from '../scenarios/job-ledger.js';
import { runSteadyLoad, type SteadyLoadResult, type SteadyLoadSettings } from '../scenarios/steady-load.js';
import { librariesFor, log, type PerLibrary, type Suite, type SuiteResult } from '../suite.js';
import { BENCH_CHECK, holds } from '../targets.js';
import { perJob } from './drain-suite.js';

function settingsFor(options: BenchOptions): SteadyLoadSettings {
  return {
    plan: offerPlan(options.steadyRate, options.steadySeconds),
    workerProcesses: 2,
    concurrency: 10,
    pollInterval: 200,
    workMs: 1,
    retryOnceAfterMs: 100,
    graceMs: options.quick ? 15_000 : 30_000,
    janitorEveryMs: 1000,
  };
}

function describe(result: SteadyLoadResult): string {
  const { latency } = result;
  return (
    `start p50/p95/p99 ${latency.start.p50}/${latency.start.p95}/${latency.start.p99} ms, ` +
    `completion ${latency.completion.p50}/${latency.completion.p95}/${latency.completion.p99} ms, ` +
    `completed ${result.completedRate.toFixed(1)}/s of ${result.offeredRate}/s offered, backlog at end ${result.backlogAtEnd}, ` +
    `${result.commandsPerJob.toFixed(3)} commands/job, held: ${result.held}`
  );
}

function detailOf(result: SteadyLoadResult): Record<string, unknown> {
  const jobs = Math.max(1, result.completed);
  return {
    ...result,
    commands: undefined,
    commandsPerJobByPurpose: perJob(result.commands, jobs, 'byPurpose'),
    commandsPerJobByName: perJob(result.commands, jobs, 'byName'),
    otherShapes: result.commands.otherShapes,
  };
}

async function run(context: BenchContext, options: BenchOptions): Promise<SuiteResult> {
  const settings = settingsFor(options);
  const results: Partial<PerLibrary<SteadyLoadResult>> = {};
  for (const { library } of librariesFor(options)) {
    log(`${library.label} steady load: ${settings.plan.rate} jobs/s for ${settings.plan.seconds} s…`);
    const result = await runSteadyLoad(context, library, settings);
    results[library.label] = result;
    log(`${library.label} steady load: ${describe(result)}`);
  }
  const scenario = `steady ${settings.plan.rate}/s for ${settings.plan.seconds} s, ${settings.workerProcesses} worker processes (poll ${settings.pollInterval} ms)`;
  const figure = (
    metric: string,
    unit: string,
    better: 'higher' | 'lower',
    pick: (r: SteadyLoadResult) => number,
  ): Figure => {
    const monque = results.Monque ? pick(results.Monque) : null;
    const agenda = results.Agenda ? pick(results.Agenda) : null;
    return {
      scenario,
      metric,
      unit,
      better,
      monque,
      agenda,
      ratio: monque !== null && agenda !== null && agenda !== 0 ? monque / agenda : null,
      runs: { monque: monque === null ? [] : [monque], agenda: agenda === null ? [] : [agenda] },
    };
  };
  const latencyFigures = (label: string, pick: (r: SteadyLoadResult) => Percentiles): Figure[] =>
    (['p50', 'p95', 'p99'] as const).map((p) => figure(`${label} ${p}`, 'ms', 'lower', (r) => pick(r)[p]));
  const monque = results.Monque;
  return {
    figures: [
      ...latencyFigures('enqueue → start', (r) => r.latency.start),
      ...latencyFigures('enqueue → completion', (r) => r.latency.completion),
      figure('completed within the window', 'jobs/s', 'higher', (r) => r.completedRate),
      figure('backlog at the end of the window', 'jobs', 'lower', (r) => r.backlogAtEnd),
      figure(`not completed ${settings.graceMs / 1000} s after the window`, 'jobs', 'lower', (r) => r.unfinished),
      figure('commands per completed job, all processes', 'commands', 'lower', (r) => r.commandsPerJob),
    ],
    targets: monque
      ? [
          holds({
            target: `steady load: Monque holds ${settings.plan.rate} jobs/s (≥ 99 % of calls return in the window, backlog at the end < 1 s of jobs)`,
            met: monque.held,
            measured: `${monque.enqueuedRate.toFixed(1)}/s enqueued, ${monque.completedRate.toFixed(1)}/s completed, backlog ${monque.backlogAtEnd}`,
            detail: `${monque.unfinished} never completed`,
            source: BENCH_CHECK,
          }),
          holds({
            target: 'steady load: no attempt of a job started twice (Monque)',
            met: monque.duplicateStarts === 0,
            measured: `${monque.duplicateStarts} duplicate start(s)`,
            source: BENCH_CHECK,
          }),
        ]
      : [],
    details: {
      steadyLoad: {
        method:
          `a producer process offers ${settings.plan.rate} jobs/s for ${settings.plan.seconds} s through the library's public enqueue ` +
          `(open loop: each call at its scheduled time, whether or not earlier calls returned); 10 % of jobs are enqueued with a runAt ` +
          `0.5–2 s later, 5 % fail their first attempt and are retried once ${settings.retryOnceAfterMs} ms later; ` +
          `${settings.workerProcesses} worker processes (concurrency ${settings.concurrency} each, poll ${settings.pollInterval} ms, ` +
          `handlers of ${settings.workMs} ms). Timestamps: Date.now() of the processes on this one machine — the call time ` +
          `(and due time) written into the job's data by the producer, handler start and written outcome reported by the worker. ` +
          `Latency is measured from the due time for delayed jobs. Commands of the producer and workers are counted from the ` +
          `start of the window until the last job completed. A janitor deletes finished jobs every ${settings.janitorEveryMs} ms ` +
          'through an unmonitored client (not counted).',
        ...(results.Monque ? { Monque: detailOf(results.Monque) } : {}),
        ...(results.Agenda ? { Agenda: detailOf(results.Agenda) } : {}),
      },
    },
    settings,
    notes: [
      ...librariesFor(options).flatMap(({ library }) => {
        const result = results[library.label];
        return result ? [`Steady load, ${library.label}: ${describe(result)}`] : [];
      }),
    ],
  };
}

/** The steady-load scenario. */
export const steadyLoadSuite: Suite = { name: 'steady', run };
