/**
 * Enqueue: 1000 jobs sequentially, concurrently and in one bulk call (repeated), and a burst of
 * 500 concurrent `enqueue` calls whose write commands are counted (issue 14: enqueue coalescing).
 */
import type { BenchContext } from '../bench-context.js';
import type { BenchOptions } from '../cli-options.js';
import { WRITE_COMMANDS } from '../queues/command-purposes.js';
import { type Figure, figureOf } from '../report.js';
import { type EnqueueMode, runEnqueue } from '../scenarios/enqueue.js';
import { median } from '../stats.js';
import { log, orderFor, type PerLibrary, perLibrary, type Suite, type SuiteResult } from '../suite.js';
import { atMost, EARLIER_GOAL, ISSUE_14 } from '../targets.js';

const BURST_JOBS = 500;
const BURST_WRITE_LIMIT = 25;
const BULK_COMMAND_LIMIT = 2;

function writesOf(byName: Record<string, number>): number {
  let writes = 0;
  for (const [name, count] of Object.entries(byName)) if (WRITE_COMMANDS.has(name)) writes += count;
  return writes;
}

async function run(context: BenchContext, options: BenchOptions): Promise<SuiteResult> {
  const jobs = options.quick ? 200 : 1000;
  const rates: Record<EnqueueMode, PerLibrary<number[]>> = {
    sequential: perLibrary(() => []),
    concurrent: perLibrary(() => []),
    bulk: perLibrary(() => []),
  };
  const bulkCommands: number[] = [];
  const burstWrites = perLibrary<number[]>(() => []);
  const burstByName = perLibrary<Record<string, number>[]>(() => []);
  for (let runIndex = 0; runIndex < options.runs; runIndex += 1) {
    for (const { library, classify } of orderFor(runIndex, options)) {
      const label = library.label;
      for (const mode of ['sequential', 'concurrent', 'bulk'] as const) {
        const result = await runEnqueue(context, library, classify, mode, jobs);
        if (!result) continue;
        rates[mode][label].push(result.jobsPerSecond);
        if (mode === 'bulk' && label === 'Monque') bulkCommands.push(result.commands);
        log(`run ${runIndex + 1}/${options.runs} ${label} enqueue ${mode}: ${Math.round(result.jobsPerSecond)} jobs/s`);
      }
      const burst = await runEnqueue(context, library, classify, 'concurrent', BURST_JOBS);
      if (burst) {
        burstWrites[label].push(writesOf(burst.counts.byName));
        burstByName[label].push(burst.counts.byName);
        log(
          `run ${runIndex + 1}/${options.runs} ${label} burst of ${BURST_JOBS}: ${JSON.stringify(burst.counts.byName)}`,
        );
      }
    }
  }
  const rateFigure = (mode: EnqueueMode, metric: string): Figure =>
    figureOf(
      {
        scenario: `enqueue ${jobs}`,
        metric,
        unit: 'jobs/s',
        better: 'higher',
        ...(mode === 'bulk' ? { note: 'no bulk API' } : {}),
      },
      rates[mode].Monque,
      rates[mode].Agenda,
    );
  const figures = [
    rateFigure('sequential', 'sequential'),
    rateFigure('concurrent', 'concurrent'),
    rateFigure('bulk', 'bulk (enqueueMany)'),
    figureOf(
      {
        scenario: `enqueue burst, ${BURST_JOBS} concurrent calls`,
        metric: 'write commands',
        unit: 'commands',
        better: 'lower',
      },
      burstWrites.Monque,
      burstWrites.Agenda,
    ),
  ];
  const worstBulk = Math.max(...bulkCommands);
  const burstMonque = median(burstWrites.Monque);
  return {
    figures,
    targets: [
      atMost({
        target: `enqueueMany of ${jobs} jobs in ≤ ${BULK_COMMAND_LIMIT} commands`,
        value: worstBulk,
        limit: BULK_COMMAND_LIMIT,
        unit: ' commands',
        source: EARLIER_GOAL,
      }),
      atMost({
        target: `${BURST_JOBS} concurrent enqueue calls in ≤ ${BURST_WRITE_LIMIT} write commands`,
        value: burstMonque,
        limit: BURST_WRITE_LIMIT,
        unit: ' writes',
        source: ISSUE_14,
      }),
    ],
    details: {
      enqueueBurst: {
        method: `${BURST_JOBS} enqueue calls started at once with Promise.all on an idle, unstarted scheduler; write commands (insert, update, delete, findAndModify) counted by driver command monitoring`,
        writeCommands: burstWrites,
        commandsByName: burstByName,
      },
    },
    settings: { jobs, burstJobs: BURST_JOBS },
    notes: [],
  };
}

/** The enqueue scenario. */
export const enqueueSuite: Suite = { name: 'enqueue', run };
