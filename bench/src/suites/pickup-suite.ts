/**
 * Pickup latency of an idle scheduler, jobs enqueued from the same process and from another one
 * (repeated; percentiles over the pooled samples). Targets: same-process p50 < 10 ms, other-process
 * p95 ≤ pollInterval without change streams.
 */
import type { BenchContext } from '../bench-context.js';
import type { BenchOptions } from '../cli-options.js';
import type { Figure } from '../report.js';
import { type LatencySettings, runPickupLatency } from '../scenarios/pickup-latency.js';
import { percentile } from '../stats.js';
import { log, orderFor, perLibrary, type Suite, type SuiteResult } from '../suite.js';
import { atMost, EARLIER_GOAL } from '../targets.js';

const SAME_PROCESS_P50_LIMIT_MS = 10;

function settingsFor(options: BenchOptions): LatencySettings[] {
  const samples = options.quick ? 5 : 15;
  return [
    { origin: 'same-process', samples, pollInterval: 1000, maxGapMs: 100 },
    // Gaps span a whole poll interval so enqueues land at uniformly random points of the poll cycle
    // (shorter gaps after a start would phase-lock every enqueue to just after a poll).
    { origin: 'other-process', samples, pollInterval: 500, maxGapMs: 500 },
  ];
}

async function run(context: BenchContext, options: BenchOptions): Promise<SuiteResult> {
  const settings = settingsFor(options);
  const pooled = {
    'same-process': perLibrary<number[]>(() => []),
    'other-process': perLibrary<number[]>(() => []),
  };
  for (let runIndex = 0; runIndex < options.runs; runIndex += 1) {
    for (const { library } of orderFor(runIndex, options)) {
      for (const setting of settings) {
        const latencies = await runPickupLatency(context, library, setting);
        pooled[setting.origin][library.label].push(...latencies);
        log(
          `run ${runIndex + 1}/${options.runs} ${library.label} pickup ${setting.origin}: ` +
            `p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms`,
        );
      }
    }
  }
  const figure = (setting: LatencySettings, p: number): Figure => {
    const samples = pooled[setting.origin];
    const monque = percentile(samples.Monque, p);
    const agenda = percentile(samples.Agenda, p);
    return {
      scenario: `pickup, ${setting.origin.replace('-', ' ')} (poll ${setting.pollInterval} ms)`,
      metric: `p${p}`,
      unit: 'ms',
      better: 'lower',
      monque,
      agenda,
      ratio: agenda > 0 ? monque / agenda : null,
      runs: { monque: samples.Monque, agenda: samples.Agenda },
    };
  };
  const [same, other] = settings as [LatencySettings, LatencySettings];
  const otherSamples = pooled['other-process'].Monque;
  const otherP95 = percentile(otherSamples, 95);
  return {
    figures: [figure(same, 50), figure(same, 95), figure(other, 50), figure(other, 95)],
    targets: [
      atMost({
        target: `same-process pickup p50 < ${SAME_PROCESS_P50_LIMIT_MS} ms`,
        value: percentile(pooled['same-process'].Monque, 50),
        limit: SAME_PROCESS_P50_LIMIT_MS,
        strict: true,
        unit: ' ms',
        source: EARLIER_GOAL,
      }),
      atMost({
        target: `other-process pickup p95 ≤ pollInterval (${other.pollInterval} ms) without change streams`,
        value: otherP95,
        limit: other.pollInterval,
        unit: ' ms',
        measured: `p95 ${otherP95} ms, max ${Math.max(...otherSamples)} ms`,
        source: EARLIER_GOAL,
      }),
    ],
    details: {},
    settings: { sameProcess: same, otherProcess: other },
    notes: [],
  };
}

/** The pickup latency scenario. */
export const pickupSuite: Suite = { name: 'pickup', run };
