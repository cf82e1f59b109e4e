/**
 * Flow control (Monque only; Agenda has no limit across processes, no groups and no rate limit):
 * - drains of 500 jobs of 5 ms, one scheduler, plain and under a group limit, a global limit and a rate
 *   limit (repeated, median): jobs/s and commands per job, each limit checked on the handlers;
 * - rate-limit accuracy: 3 processes share one rate limit over a backlog (starts per window);
 * - fairness across groups: a group's single job beside a big group's backlog (claim turns).
 */
import type { BenchContext } from '../bench-context.js';
import type { BenchOptions } from '../cli-options.js';
import { type Figure, figureOf } from '../report.js';
import { type GroupFairnessSettings, type GroupSample, runGroupFairness } from '../scenarios/group-fairness.js';
import { type LimitedDrainResult, type LimitedDrainSettings, runLimitedDrain } from '../scenarios/limited-drain.js';
import { type RateAccuracySettings, runRateAccuracy } from '../scenarios/rate-accuracy.js';
import { percentile } from '../stats.js';
import { log, type Suite, type SuiteResult } from '../suite.js';
import { atLeast, atMost, holds, ISSUE_22, type TargetCheck } from '../targets.js';
import { perJob } from './drain-suite.js';

const DRAIN = { jobs: 500, concurrency: 50, pollInterval: 1000, workMs: 5, timeoutMs: 120_000 } as const;

/** The drains, by label. */
const DRAINS: Record<string, Pick<LimitedDrainSettings, 'groups' | 'flow'>> = {
  'no limit (same code path)': { groups: 0, flow: {} },
  'group limit (50 groups, groupConcurrency 2)': { groups: 50, flow: { groupConcurrency: 2 } },
  'global limit (globalConcurrency 20)': { groups: 0, flow: { globalConcurrency: 20 } },
  'rate limit (250 per 1 s)': { groups: 0, flow: { rateLimit: { max: 250, duration: 1_000 } } },
};

function accuracySettings(options: BenchOptions): RateAccuracySettings {
  return {
    instances: 3,
    concurrency: 10,
    max: 50,
    duration: 5_000,
    measureMs: options.quick ? 20_000 : 60_000,
    pollInterval: 1_000,
  };
}

function fairnessSettings(options: BenchOptions): GroupFairnessSettings {
  return {
    backlogJobs: options.quick ? 400 : 1_000,
    workMs: 20,
    concurrency: 5,
    pollInterval: 1_000,
    samples: options.quick ? 3 : 8,
  };
}

const USED_LIMIT = 0.9;
const TURNS_LIMIT = 2;

/** A Monque-only figure (Agenda: no such feature). */
function monqueOnly(
  scenario: string,
  metric: string,
  unit: string,
  better: 'higher' | 'lower',
  values: number[],
): Figure {
  return { ...figureOf({ scenario, metric, unit, better }, values, []), note: 'Agenda has no such feature' };
}

/** Each drain variant, `options.runs` times (alternating variants). */
async function measureDrains(
  context: BenchContext,
  options: BenchOptions,
): Promise<Record<string, LimitedDrainResult[]>> {
  const runs: Record<string, LimitedDrainResult[]> = Object.fromEntries(
    Object.keys(DRAINS).map((label) => [label, []]),
  );
  for (let index = 0; index < options.runs; index += 1) {
    for (const [label, variant] of Object.entries(DRAINS)) {
      const result = await runLimitedDrain(context, { ...DRAIN, ...variant });
      runs[label]?.push(result);
      log(
        `run ${index + 1}/${options.runs} Monque drain, ${label}: ${Math.round(result.jobsPerSecond)} jobs/s, ` +
          `${result.commandsPerJob.toFixed(3)} commands/job ${JSON.stringify(result.commands.byPurpose)}`,
      );
    }
  }
  return runs;
}

async function run(context: BenchContext, options: BenchOptions): Promise<SuiteResult> {
  const figures: Figure[] = [];
  const targets: TargetCheck[] = [];
  const drainRuns = await measureDrains(context, options);
  const drainScenario = `drain ${DRAIN.jobs} under flow control, concurrency ${DRAIN.concurrency}`;
  const drainDetails: Record<string, unknown> = {};
  for (const [label, results] of Object.entries(drainRuns)) {
    figures.push(
      monqueOnly(
        drainScenario,
        `${label}: throughput`,
        'jobs/s',
        'higher',
        results.map((r) => r.jobsPerSecond),
      ),
    );
    figures.push(
      monqueOnly(
        drainScenario,
        `${label}: commands per job`,
        'commands',
        'lower',
        results.map((r) => r.commandsPerJob),
      ),
    );
    const middle = [...results].sort((a, b) => a.commandsPerJob - b.commandsPerJob)[Math.floor(results.length / 2)];
    drainDetails[label] = middle && {
      byPurpose: perJob(middle.commands, DRAIN.jobs, 'byPurpose'),
      byName: perJob(middle.commands, DRAIN.jobs, 'byName'),
      peakPerGroup: Math.max(...results.map((r) => r.peakPerGroup)),
      peakRunning: Math.max(...results.map((r) => r.peakRunning)),
      worstWindow: Math.max(...results.map((r) => r.worstWindow)),
    };
  }
  const all = (label: string) => drainRuns[label] ?? [];
  const groupPeak = Math.max(...all('group limit (50 groups, groupConcurrency 2)').map((r) => r.peakPerGroup));
  const globalPeak = Math.max(...all('global limit (globalConcurrency 20)').map((r) => r.peakRunning));
  const rateWorst = Math.max(...all('rate limit (250 per 1 s)').map((r) => r.worstWindow));
  targets.push(
    holds({
      target: 'group-limited drain: never more than 2 jobs of one group running',
      met: groupPeak <= 2,
      measured: `at most ${groupPeak}`,
      source: ISSUE_22,
    }),
    holds({
      target: 'globally limited drain: never more than 20 running',
      met: globalPeak <= 20,
      measured: `at most ${globalPeak}`,
      source: ISSUE_22,
    }),
    holds({
      target: 'rate-limited drain: never more than 250 starts in any 1 s',
      met: rateWorst <= 250,
      measured: `at most ${rateWorst}`,
      source: ISSUE_22,
    }),
  );

  const accuracy = accuracySettings(options);
  const rate = await runRateAccuracy(context, accuracy);
  log(
    `Monque rate accuracy: per window ${JSON.stringify(rate.perWindow)}, any window ≤ ${rate.worstWindow}, used ${(rate.used * 100).toFixed(1)} %, per instance ${JSON.stringify(rate.startsPerInstance)}`,
  );
  const accuracyScenario = `rate limit ${accuracy.max} per ${accuracy.duration / 1000} s, ${accuracy.instances} processes, ${accuracy.measureMs / 1000} s of backlog`;
  const windows = rate.perWindow;
  figures.push(
    monqueOnly(accuracyScenario, 'starts per window, min', 'starts', 'higher', [Math.min(...windows)]),
    monqueOnly(accuracyScenario, 'starts per window, max', 'starts', 'lower', [Math.max(...windows)]),
    monqueOnly(accuracyScenario, 'starts per window, mean', 'starts', 'higher', [
      windows.reduce((a, b) => a + b, 0) / windows.length,
    ]),
    monqueOnly(accuracyScenario, 'most starts in any window', 'starts', 'lower', [rate.worstWindow]),
    monqueOnly(accuracyScenario, 'allowed starts used', '%', 'higher', [rate.used * 100]),
    monqueOnly(accuracyScenario, 'commands per start, all processes', 'commands', 'lower', [rate.commandsPerStart]),
  );
  targets.push(
    holds({
      target: `rate limit across ${accuracy.instances} processes: never more than ${accuracy.max} starts in any ${accuracy.duration / 1000} s`,
      met: rate.worstWindow <= accuracy.max,
      measured: `at most ${rate.worstWindow}`,
      source: ISSUE_22,
    }),
    atLeast({
      target: `rate limit used ≥ ${USED_LIMIT * 100} % over ${accuracy.measureMs / 1000} s of backlog`,
      value: rate.used * 100,
      limit: USED_LIMIT * 100,
      unit: ' %',
      source: ISSUE_22,
    }),
  );

  const fairness = fairnessSettings(options);
  const samples: GroupSample[] = await runGroupFairness(context, fairness);
  log(`Monque group fairness: ${JSON.stringify(samples)}`);
  const fairnessScenario = `a group's 1 job beside a ${fairness.backlogJobs}-job group (concurrency ${fairness.concurrency})`;
  const turns = samples.map((s) => s.claimTurns);
  const waits = samples.map((s) => s.waitMs);
  figures.push(
    monqueOnly(fairnessScenario, 'claim turns until it starts, max', 'turns', 'lower', [Math.max(...turns)]),
    monqueOnly(fairnessScenario, 'wait to start, p50', 'ms', 'lower', [percentile(waits, 50)]),
    monqueOnly(fairnessScenario, 'wait to start, max', 'ms', 'lower', [Math.max(...waits)]),
  );
  targets.push(
    atMost({
      target: `a group with 1 due job beside a ${fairness.backlogJobs}-job group starts within ${TURNS_LIMIT} claim turns`,
      value: Math.max(...turns),
      limit: TURNS_LIMIT,
      unit: ' turns',
      source: ISSUE_22,
    }),
    holds({
      target: 'group fairness samples were all taken while the big group still had jobs waiting',
      met: samples.every((s) => s.backlogLeft > 0),
      measured: `backlog left at each start: ${samples.map((s) => s.backlogLeft).join(', ')}`,
      detail: 'the backlog ran out first; lengthen it',
      source: 'bench check',
    }),
  );

  return {
    figures,
    targets,
    details: {
      flowControl: {
        drains: drainDetails,
        rateAccuracy: { ...rate, commands: undefined, settings: accuracy },
        groupFairness: { samples, settings: fairness },
        agenda:
          'Agenda 6 has per-process concurrency and lockLimit per job definition; no limit across processes, no groups, no rate limit',
      },
    },
    settings: { drain: DRAIN, drains: DRAINS, accuracy, fairness },
    notes: [
      `Flow control, drain commands per job by purpose (median run): ${JSON.stringify(
        Object.fromEntries(
          Object.entries(drainDetails).map(([label, detail]) => [label, (detail as { byPurpose: unknown }).byPurpose]),
        ),
      )}`,
      `Flow control, rate limit starts per ${accuracy.duration / 1000} s window: ${JSON.stringify(windows)}; per process ${JSON.stringify(rate.startsPerInstance)}`,
    ],
  };
}

/** The flow-control scenario. */
export const flowSuite: Suite = { name: 'flow', run };
