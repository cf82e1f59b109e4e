/**
 * Workflows (Monque only, once): a fan-in of 1,000 children into one parent (one `flow()`), and a
 * chain of 100 jobs (each `enqueue` with `dependsOn` the one before). End-to-end time and commands
 * per job. No target: the figures are printed and recorded. On the embedded backend, the fan-in's
 * 1,001 documents in one collection make every write slower (its cost grows above ~500
 * documents per collection), which the figures include.
 */
import type { BenchContext } from '../bench-context.js';
import type { BenchOptions } from '../cli-options.js';
import { monquePurpose } from '../queues/command-purposes.js';
import type { Figure } from '../report.js';
import { runChain, runFanIn, type WorkflowResult, type WorkflowSettings } from '../scenarios/workflows.js';
import { log, type Suite, type SuiteResult } from '../suite.js';
import { perJob } from './drain-suite.js';

function settingsFor(options: BenchOptions): WorkflowSettings {
  return {
    fanIn: options.quick ? 200 : 1000,
    chain: options.quick ? 20 : 100,
    concurrency: 50,
    pollInterval: 1000,
    timeoutMs: 300_000,
  };
}

function figure(scenario: string, metric: string, unit: string, value: number): Figure {
  return {
    scenario,
    metric,
    unit,
    better: 'lower',
    monque: value,
    agenda: null,
    ratio: null,
    runs: { monque: [value], agenda: [] },
    note: 'Monque only',
  };
}

function figuresOf(scenario: string, result: WorkflowResult): Figure[] {
  return [
    figure(scenario, 'end to end (first write → last completion)', 'ms', result.elapsedMs),
    figure(scenario, 'of which writing it', 'ms', result.writeMs),
    figure(scenario, 'database commands per job', 'commands', result.commandsPerJob),
  ];
}

function describe(label: string, result: WorkflowResult): string {
  return (
    `${label}: ${result.jobs} jobs in ${Math.round(result.elapsedMs)} ms (written in ${Math.round(result.writeMs)} ms), ` +
    `${result.commands.total} commands, ${result.commandsPerJob.toFixed(3)} per job ${JSON.stringify(result.commands.byPurpose)}`
  );
}

async function run(context: BenchContext, options: BenchOptions): Promise<SuiteResult> {
  const settings = settingsFor(options);
  log(`Monque workflows: a fan-in of ${settings.fanIn} children, a chain of ${settings.chain}…`);
  const fanIn = await runFanIn(context, monquePurpose, settings);
  log(describe('fan-in', fanIn));
  const chain = await runChain(context, monquePurpose, settings);
  log(describe('chain', chain));
  const perJobOf = (result: WorkflowResult) => ({
    byPurpose: perJob(result.commands, result.jobs, 'byPurpose'),
    byName: perJob(result.commands, result.jobs, 'byName'),
  });
  return {
    figures: [
      ...figuresOf(`workflow: fan-in of ${settings.fanIn} children into one parent (flow())`, fanIn),
      ...figuresOf(`workflow: chain of ${settings.chain} (dependsOn)`, chain),
    ],
    targets: [],
    details: {
      workflows: {
        method:
          'One Monque scheduler (concurrency 50 for the children, poll 1 s, change streams off) on a fresh collection, ' +
          'started and idle before the clock starts. Fan-in: one flow() of a parent and its children; the parent reads ' +
          'their results with dependencies(). Chain: each enqueue with dependsOn the one before, one after another, ' +
          "while the scheduler runs. Clock: from the first write to the library's job:complete of the last job. " +
          'Commands: every command of the scheduler client in that window (writes included) ÷ jobs.',
        fanIn: { ...fanIn, commands: perJobOf(fanIn) },
        chain: { ...chain, commands: perJobOf(chain) },
      },
    },
    settings,
    notes: [describe('Workflow fan-in', fanIn), describe('Workflow chain', chain)],
  };
}

/** The workflows scenario. */
export const workflowsSuite: Suite = { name: 'workflows', run };
