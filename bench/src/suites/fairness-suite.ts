/**
 * Fairness (once per library): a quiet job name beside a 400-job backlog of another name.
 * Target: every quiet job starts within 3 poll intervals.
 */
import type { BenchContext } from '../bench-context.js';
import type { BenchOptions } from '../cli-options.js';
import type { Figure } from '../report.js';
import { type FairnessSettings, type QuietSample, runFairness } from '../scenarios/fairness.js';
import { percentile } from '../stats.js';
import { librariesFor, log, perLibrary, type Suite, type SuiteResult } from '../suite.js';
import { atMost, holds, ISSUE_14 } from '../targets.js';

const INTERVALS_LIMIT = 3;

function settingsFor(options: BenchOptions): FairnessSettings {
  return { backlogJobs: 400, backlogWorkMs: 100, concurrency: 5, pollInterval: 200, samples: options.quick ? 3 : 8 };
}

async function run(context: BenchContext, options: BenchOptions): Promise<SuiteResult> {
  const settings = settingsFor(options);
  const samples = perLibrary<QuietSample[]>(() => []);
  for (const { library } of librariesFor(options)) {
    samples[library.label] = await runFairness(context, library, settings);
    log(`${library.label} quiet name beside a backlog: waits ${JSON.stringify(samples[library.label])}`);
  }
  const waits = (label: 'Monque' | 'Agenda') => samples[label].map((s) => s.waitMs);
  const figure = (metric: string, pick: (values: number[]) => number): Figure => {
    const monque = pick(waits('Monque'));
    const agenda = pick(waits('Agenda'));
    return {
      scenario: `quiet name beside a ${settings.backlogJobs}-job backlog (poll ${settings.pollInterval} ms)`,
      metric,
      unit: 'ms',
      better: 'lower',
      monque,
      agenda,
      ratio: agenda > 0 ? monque / agenda : null,
      runs: { monque: waits('Monque'), agenda: waits('Agenda') },
    };
  };
  const worst = Math.max(...waits('Monque'));
  const besideBacklog = samples.Monque.every((s) => s.backlogLeft > 0);
  return {
    figures: [
      figure('wait to start, p50', (v) => percentile(v, 50)),
      figure('wait to start, max', (v) => Math.max(...v)),
    ],
    targets: [
      atMost({
        target: `a quiet name's job starts within ${INTERVALS_LIMIT} poll intervals beside a ${settings.backlogJobs}-job backlog`,
        value: worst / settings.pollInterval,
        limit: INTERVALS_LIMIT,
        unit: ' intervals',
        measured: `max ${worst} ms = ${(worst / settings.pollInterval).toFixed(2)} intervals`,
        source: ISSUE_14,
      }),
      holds({
        target: 'fairness samples were all taken while the backlog was still running',
        met: besideBacklog,
        measured: `backlog left at each quiet start: ${samples.Monque.map((s) => s.backlogLeft).join(', ')}`,
        detail: 'the backlog finished first; lengthen it',
        source: 'bench check',
      }),
    ],
    details: {
      fairness: {
        method:
          `${settings.backlogJobs} jobs of one name (${settings.backlogWorkMs} ms each, concurrency ${settings.concurrency}) pre-enqueued; ` +
          `one scheduler with that name and a quiet name (concurrency ${settings.concurrency}); once the backlog runs, ` +
          `${settings.samples} quiet jobs enqueued one at a time from another client (no local wake-up), each after a random ` +
          `0–${settings.pollInterval} ms pause; wait = from just before the enqueue call to the handler start (Date.now() of one process)`,
        samples,
      },
    },
    settings,
    notes: [],
  };
}

/** The fairness scenario. */
export const fairnessSuite: Suite = { name: 'fairness', run };
