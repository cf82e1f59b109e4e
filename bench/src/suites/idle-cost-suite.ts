/**
 * Idle cost per poll (once per library: the count is deterministic): 20 job names, no jobs,
 * poll interval 200 ms. Target: Monque ≤ 1.5 commands per poll interval.
 */
import type { BenchContext } from '../bench-context.js';
import type { BenchOptions } from '../cli-options.js';
import { figureOf } from '../report.js';
import { type IdleCostResult, type IdleCostSettings, runIdleCost } from '../scenarios/idle-cost.js';
import { librariesFor, log, perLibrary, type Suite, type SuiteResult } from '../suite.js';
import { atMost, ISSUE_14 } from '../targets.js';

const COMMANDS_PER_POLL_LIMIT = 1.5;

function settingsFor(options: BenchOptions): IdleCostSettings {
  return { names: 20, pollInterval: 200, seconds: options.quick ? 2 : 6, concurrency: 5 };
}

async function run(context: BenchContext, options: BenchOptions): Promise<SuiteResult> {
  const settings = settingsFor(options);
  const results = perLibrary<IdleCostResult[]>(() => []);
  for (const { library, classify } of librariesFor(options)) {
    const result = await runIdleCost(context, library, classify, settings);
    results[library.label].push(result);
    log(
      `${library.label} idle, ${settings.names} names: ${result.commandsPerPoll.toFixed(2)} commands per poll ` +
        `${JSON.stringify(result.commands.byName)} over ${result.intervals.toFixed(1)} intervals`,
    );
  }
  const perPoll = (label: 'Monque' | 'Agenda') => results[label].map((r) => r.commandsPerPoll);
  const monque = results.Monque[0]?.commandsPerPoll ?? Number.NaN;
  return {
    figures: [
      figureOf(
        {
          scenario: `idle, ${settings.names} job names, no jobs (poll ${settings.pollInterval} ms)`,
          metric: 'commands per poll interval',
          unit: 'commands',
          better: 'lower',
        },
        perPoll('Monque'),
        perPoll('Agenda'),
      ),
    ],
    targets: [
      atMost({
        target: `idle ≤ ${COMMANDS_PER_POLL_LIMIT} commands per poll with ${settings.names} job names`,
        value: monque,
        limit: COMMANDS_PER_POLL_LIMIT,
        unit: ' commands/poll',
        source: ISSUE_14,
      }),
    ],
    details: {
      idleCost: {
        method:
          `one scheduler in the benchmark process, ${settings.names} registered job names, an empty collection; ` +
          `after start() and one warm-up interval, every command of its client is counted for ${settings.seconds} s ` +
          `and divided by the number of poll intervals (Monque pollInterval = Agenda processEvery = ${settings.pollInterval} ms)`,
        Monque: results.Monque.map((r) => ({ commandsPerPoll: r.commandsPerPoll, ...r.commands })),
        Agenda: results.Agenda.map((r) => ({ commandsPerPoll: r.commandsPerPoll, ...r.commands })),
      },
    },
    settings,
    notes: [],
  };
}

/** The idle cost scenario. */
export const idleCostSuite: Suite = { name: 'idle', run };
