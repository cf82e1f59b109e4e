/**
 * Deduplication modes (issue 22): database commands per `enqueue` call for each mode beside a
 * plain enqueue and a plain `uniqueKey` (Monque), and Agenda's debounce (`nowDebounced`) beside
 * Monque's. Counts do not vary between runs, so each case runs once per repetition and the median
 * is printed. Targets: a replace or debounce of a pending job is one command; a throttled call
 * inside its window two.
 */
import type { BenchContext } from '../bench-context.js';
import type { BenchOptions } from '../cli-options.js';
import { agendaPurpose, monquePurpose } from '../queues/command-purposes.js';
import { type Figure, figureOf } from '../report.js';
import { DEDUPE_CASES, runAgendaDebounce, runDedupeCase } from '../scenarios/dedupe-cost.js';
import { median } from '../stats.js';
import { log, type Suite, type SuiteResult } from '../suite.js';
import { atMost, type TargetCheck } from '../targets.js';

const ISSUE_22 = 'issue 22';

async function run(context: BenchContext, options: BenchOptions): Promise<SuiteResult> {
  const calls = options.quick ? 50 : 200;
  const perCase = new Map<string, number[]>(DEDUPE_CASES.map((spec) => [spec.label, []]));
  const byName = new Map<string, Record<string, number>>();
  const agenda: number[] = [];
  const measureAgenda = options.libraries.includes('Agenda');
  for (let runIndex = 0; runIndex < options.runs; runIndex += 1) {
    for (const spec of DEDUPE_CASES) {
      const cost = await runDedupeCase(context, monquePurpose, spec, calls);
      perCase.get(spec.label)?.push(cost.commandsPerCall);
      byName.set(spec.label, cost.counts.byName);
      log(`run ${runIndex + 1}/${options.runs} dedupe ${spec.label}: ${cost.commandsPerCall.toFixed(2)} commands/call`);
    }
    if (measureAgenda) {
      const cost = await runAgendaDebounce(context, agendaPurpose, calls);
      agenda.push(cost.commandsPerCall);
      byName.set('Agenda nowDebounced, one key', cost.counts.byName);
      log(
        `run ${runIndex + 1}/${options.runs} dedupe Agenda nowDebounced: ${cost.commandsPerCall.toFixed(2)} commands/call`,
      );
    }
  }
  const scenario = `enqueue with deduplication, ${calls} calls`;
  const figures: Figure[] = DEDUPE_CASES.map((spec) =>
    figureOf(
      {
        scenario,
        metric: spec.label,
        unit: 'commands/call',
        better: 'lower',
        ...(spec.label.startsWith('debounce 60 s') ? {} : { note: 'Monque only' }),
      },
      perCase.get(spec.label) ?? [],
      spec.label.startsWith('debounce 60 s') ? agenda : [],
    ),
  );
  const value = (label: string) => median(perCase.get(label) ?? [Number.NaN]);
  const targets: TargetCheck[] = [
    atMost({
      target: "onDuplicate 'replace' of a pending job in ≤ 1 command per call",
      value: value("onDuplicate 'replace', one key"),
      limit: 1,
      unit: ' commands/call',
      source: ISSUE_22,
    }),
    atMost({
      target: 'debounce of a pending job in ≤ 1 command per call',
      value: value('debounce 60 s, one key'),
      limit: 1,
      unit: ' commands/call',
      source: ISSUE_22,
    }),
    atMost({
      target: 'throttle: a call inside the window in ≤ 2 commands (plus one window every throttle)',
      value: value('throttle 1 h, one key (1 created)'),
      limit: 2 + 2 / calls,
      unit: ' commands/call',
      source: ISSUE_22,
    }),
  ];
  return {
    figures,
    targets,
    details: {
      dedupeCost: {
        method: `${calls} enqueue calls per case on an unstarted Monque (a producer), one after another unless "at once"; every command of its client counted (driver command monitoring); index creation excluded by a warm-up`,
        commandsPerCall: Object.fromEntries(perCase),
        agendaNowDebounced: agenda,
        commandsByName: Object.fromEntries(byName),
      },
    },
    settings: { calls },
    notes: [],
  };
}

/** The deduplication cost scenario. */
export const dedupeSuite: Suite = { name: 'dedupe', run };
