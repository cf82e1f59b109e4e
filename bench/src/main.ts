/**
 * `npm run bench`: Monque and Agenda side by side on one MongoDB server — `MONGODB_URI` when set,
 * else the embedded backend (jongodb behind the serialising relay). Prints a table and writes the
 * same figures to `bench/results/latest.json`.
 *
 * Environment: `MONGODB_URI` (a real server), `BENCH_RUNS` (repetitions, default 3).
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { resolveTestBackend } from '../../tools/test-backend/src/resolve.js';
import type { BenchContext } from './bench-context.js';
import { CommandCounter, type CommandCounts } from './command-counter.js';
import { agendaLibrary } from './queues/agenda-queue.js';
import type { QueueLibrary } from './queues/bench-queue.js';
import { agendaPurpose, monquePurpose } from './queues/command-purposes.js';
import { monqueLibrary } from './queues/monque-queue.js';
import {
  type BenchReport,
  type Figure,
  figureOf,
  formatTable,
  formatTargets,
  type TargetCheck,
  writeReport,
} from './report.js';
import { type DrainResult, runDrain } from './scenarios/drain.js';
import { type EnqueueMode, runEnqueue } from './scenarios/enqueue.js';
import { type LatencySettings, runPickupLatency } from './scenarios/pickup-latency.js';
import { percentile } from './stats.js';
import { installedVersion } from './versions.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ENQUEUE_JOBS = 1000;
const DRAIN = { jobs: 500, concurrency: 50, pollInterval: 1000, timeoutMs: 120_000 } as const;
const SAME_PROCESS: LatencySettings = { origin: 'same-process', samples: 15, pollInterval: 1000, maxGapMs: 100 };
// Gaps span a whole poll interval so enqueues land at uniformly random points of the poll cycle
// (shorter gaps after a start would phase-lock every enqueue to just after a poll).
const OTHER_PROCESS: LatencySettings = { origin: 'other-process', samples: 15, pollInterval: 500, maxGapMs: 500 };
const RESULTS_FILE = fileURLToPath(new URL('../results/latest.json', import.meta.url));

const libraries = [
  { library: monqueLibrary, classify: monquePurpose },
  { library: agendaLibrary, classify: agendaPurpose },
] as const;

type PerLibrary<T> = Record<QueueLibrary['label'], T>;

function perLibrary<T>(make: () => T): PerLibrary<T> {
  return { Monque: make(), Agenda: make() };
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Each run alternates which library goes first, so neither always meets a warmer server. */
function orderFor(run: number): (typeof libraries)[number][] {
  return run % 2 === 0 ? [...libraries] : [...libraries].reverse();
}

interface Measurements {
  enqueue: Record<EnqueueMode, PerLibrary<number[]>>;
  bulkCommands: number[];
  drain: PerLibrary<DrainResult[]>;
  latency: Record<LatencySettings['origin'], PerLibrary<number[]>>;
}

async function measure(context: BenchContext): Promise<Measurements> {
  const measurements: Measurements = {
    enqueue: { sequential: perLibrary(() => []), concurrent: perLibrary(() => []), bulk: perLibrary(() => []) },
    bulkCommands: [],
    drain: perLibrary(() => []),
    latency: { 'same-process': perLibrary(() => []), 'other-process': perLibrary(() => []) },
  };
  for (let run = 0; run < RUNS; run += 1) {
    for (const { library, classify } of orderFor(run)) {
      const label = library.label;
      for (const mode of ['sequential', 'concurrent', 'bulk'] as const) {
        const result = await runEnqueue(context, library, classify, mode, ENQUEUE_JOBS);
        if (!result) continue;
        measurements.enqueue[mode][label].push(result.jobsPerSecond);
        if (mode === 'bulk' && label === 'Monque') measurements.bulkCommands.push(result.commands);
        log(`run ${run + 1}/${RUNS} ${label} enqueue ${mode}: ${Math.round(result.jobsPerSecond)} jobs/s`);
      }
      const drain = await runDrain(context, library, classify, DRAIN);
      measurements.drain[label].push(drain);
      log(
        `run ${run + 1}/${RUNS} ${label} drain: ${Math.round(drain.jobsPerSecond)} jobs/s, ` +
          `${drain.commandsPerJob.toFixed(3)} commands/job ${JSON.stringify(drain.commands.byPurpose)}`,
      );
      for (const settings of [SAME_PROCESS, OTHER_PROCESS]) {
        const latencies = await runPickupLatency(context, library, settings);
        measurements.latency[settings.origin][label].push(...latencies);
        log(
          `run ${run + 1}/${RUNS} ${label} pickup ${settings.origin}: p50 ${percentile(latencies, 50)} ms, ` +
            `p95 ${percentile(latencies, 95)} ms`,
        );
      }
    }
  }
  return measurements;
}

function perJob(counts: CommandCounts, jobs: number, key: 'byPurpose' | 'byName'): Record<string, number> {
  const medianOf: Record<string, number> = {};
  for (const [name, count] of Object.entries(counts[key])) medianOf[name] = Number(((count ?? 0) / jobs).toFixed(4));
  return medianOf;
}

function figuresOf(m: Measurements): Figure[] {
  const enqueueFigure = (mode: EnqueueMode, metric: string): Figure =>
    figureOf(
      {
        scenario: `enqueue ${ENQUEUE_JOBS}`,
        metric,
        unit: 'jobs/s',
        better: 'higher',
        ...(mode === 'bulk' ? { note: 'no bulk API' } : {}),
      },
      m.enqueue[mode].Monque,
      m.enqueue[mode].Agenda,
    );
  const drainFigure = (metric: string, unit: string, better: 'higher' | 'lower', pick: (r: DrainResult) => number) =>
    figureOf(
      { scenario: `drain ${DRAIN.jobs}, concurrency ${DRAIN.concurrency}`, metric, unit, better },
      m.drain.Monque.map(pick),
      m.drain.Agenda.map(pick),
    );
  const latencyFigure = (settings: LatencySettings, p: number): Figure => {
    const pooled = m.latency[settings.origin];
    const monque = percentile(pooled.Monque, p);
    const agenda = percentile(pooled.Agenda, p);
    return {
      scenario: `pickup, ${settings.origin.replace('-', ' ')} (poll ${settings.pollInterval} ms)`,
      metric: `p${p}`,
      unit: 'ms',
      better: 'lower',
      monque,
      agenda,
      ratio: agenda > 0 ? monque / agenda : null,
      runs: { monque: pooled.Monque, agenda: pooled.Agenda },
    };
  };
  return [
    enqueueFigure('sequential', 'sequential'),
    enqueueFigure('concurrent', 'concurrent'),
    enqueueFigure('bulk', 'bulk (enqueueMany)'),
    drainFigure('throughput', 'jobs/s', 'higher', (r) => r.jobsPerSecond),
    drainFigure('database commands per job', 'commands', 'lower', (r) => r.commandsPerJob),
    drainFigure('scheduler CPU per job', 'µs', 'lower', (r) => r.cpuMicrosPerJob),
    latencyFigure(SAME_PROCESS, 50),
    latencyFigure(SAME_PROCESS, 95),
    latencyFigure(OTHER_PROCESS, 50),
    latencyFigure(OTHER_PROCESS, 95),
  ];
}

function targetsOf(figures: Figure[], m: Measurements): TargetCheck[] {
  const find = (scenario: string, metric: string): Figure => {
    const figure = figures.find((f) => f.scenario.startsWith(scenario) && f.metric.startsWith(metric));
    if (!figure) throw new Error(`no figure ${scenario} ${metric}`);
    return figure;
  };
  const commands = find('drain', 'database commands').monque ?? Number.NaN;
  const throughput = find('drain', 'throughput');
  const speedup = (throughput.monque ?? 0) / (throughput.agenda ?? Number.POSITIVE_INFINITY);
  const sameP50 = find('pickup, same', 'p50').monque ?? Number.NaN;
  const otherP95 = find('pickup, other', 'p95').monque ?? Number.NaN;
  const otherMax = Math.max(...m.latency['other-process'].Monque);
  const bulkCommands = Math.max(...m.bulkCommands);
  return [
    { target: 'drain ≤ 0.3 database commands per job', measured: commands.toFixed(3), met: commands <= 0.3 },
    { target: "drain ≥ 5× Agenda's jobs/s", measured: `${speedup.toFixed(1)}×`, met: speedup >= 5 },
    { target: 'same-process pickup p50 < 10 ms', measured: `${sameP50} ms`, met: sameP50 < 10 },
    {
      target: `other-process pickup ≤ pollInterval (${OTHER_PROCESS.pollInterval} ms) without change streams`,
      measured: `p95 ${otherP95} ms, max ${otherMax} ms`,
      met: otherP95 <= OTHER_PROCESS.pollInterval,
    },
    {
      target: `enqueueMany of ${ENQUEUE_JOBS} jobs in ≤ 2 commands`,
      measured: `${bulkCommands} command(s)`,
      met: bulkCommands <= 2,
    },
  ];
}

function drainCommandsOf(m: Measurements): BenchReport['drainCommandsPerJob'] {
  const result: BenchReport['drainCommandsPerJob'] = {};
  for (const label of ['Monque', 'Agenda'] as const) {
    const runs = m.drain[label];
    const middle = [...runs].sort((a, b) => a.commandsPerJob - b.commandsPerJob)[Math.floor(runs.length / 2)];
    if (!middle) continue;
    result[label] = {
      byPurpose: perJob(middle.commands, DRAIN.jobs, 'byPurpose'),
      byName: perJob(middle.commands, DRAIN.jobs, 'byName'),
    };
  }
  return result;
}

async function main(): Promise<void> {
  const backend = await resolveTestBackend();
  const monitored = new MongoClient(backend.uri, { monitorCommands: true });
  const setup = new MongoClient(backend.uri);
  try {
    await Promise.all([monitored.connect(), setup.connect()]);
    const dbName = 'monque_bench';
    const context: BenchContext = {
      db: monitored.db(dbName),
      setupDb: setup.db(dbName),
      counter: new CommandCounter(monitored),
      uri: backend.uri,
    };
    const versions = {
      node: process.version,
      mongodb: installedVersion('mongodb'),
      monque: monqueLibrary.version,
      agenda: agendaLibrary.version,
    };
    log(`backend: ${backend.description}`);
    log(`versions: ${JSON.stringify(versions)}; ${RUNS} run(s)`);
    const startedAt = performance.now();
    const measurements = await measure(context);
    const figures = figuresOf(measurements);
    const targets = targetsOf(figures, measurements);
    const cpus = os.cpus();
    const report: BenchReport = {
      generatedAt: new Date().toISOString(),
      machine: {
        cpus: cpus[0]?.model ?? 'unknown',
        cores: cpus.length,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        os: `${os.type()} ${os.release()} ${os.arch()}`,
      },
      backend: backend.kind === 'uri' ? backend.description : `${backend.kind}: jongodb behind the serialising relay`,
      versions,
      settings: {
        runs: RUNS,
        enqueueJobs: ENQUEUE_JOBS,
        drain: DRAIN,
        sameProcess: SAME_PROCESS,
        otherProcess: OTHER_PROCESS,
      },
      figures,
      drainCommandsPerJob: drainCommandsOf(measurements),
      targets,
    };
    writeReport(RESULTS_FILE, report);
    const out = [
      `Monque vs Agenda — ${report.backend}`,
      `node ${versions.node}, mongodb driver ${versions.mongodb}, monque ${versions.monque}, agenda ${versions.agenda}`,
      `${report.machine.cpus} × ${report.machine.cores}, ${report.machine.memoryGiB} GiB, ${report.machine.os}; ${RUNS} runs (median; latency percentiles pooled)`,
      '',
      formatTable(figures),
      '',
      `Drain, commands per job (median run): ${JSON.stringify(report.drainCommandsPerJob)}`,
      '',
      'Targets:',
      formatTargets(targets),
      '',
      `Written to ${RESULTS_FILE} in ${((performance.now() - startedAt) / 1000).toFixed(0)} s.`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await Promise.allSettled([monitored.close(), setup.close()]);
    await backend.stop();
  }
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    // Agenda 6 leaves one liveness timer per processed job (lockLifetime / 2 = 5 minutes by
    // default, never cleared), which would keep this process alive long after the run.
    process.exit();
  });
