/**
 * `npm run bench [-- options]`: Monque and Agenda side by side on one MongoDB server —
 * `MONGODB_URI` when set, else the embedded backend (jongodb behind the serialising relay).
 * Prints a table and the target checks, and writes the same figures to `bench/results/latest.json`
 * (a quick or partial run writes another file there, so the recorded full run stays).
 *
 * Options: see `cli-options.ts` (`--only <scenario>`, `--quick`, `--runs`, `--steady-rate`, `--steady-seconds`).
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { resolveTestBackend } from '../../tools/test-backend/src/resolve.js';
import type { BenchContext } from './bench-context.js';
import { type BenchOptions, BenchUsageError, parseBenchOptions, SCENARIOS, type ScenarioName } from './cli-options.js';
import { CommandCounter } from './command-counter.js';
import { agendaLibrary } from './queues/agenda-queue.js';
import { monqueLibrary } from './queues/monque-queue.js';
import { type BenchReport, type Figure, formatTable, writeReport } from './report.js';
import { log, type Suite } from './suite.js';
import { dedupeSuite } from './suites/dedupe-suite.js';
import { drainSuite } from './suites/drain-suite.js';
import { enqueueSuite } from './suites/enqueue-suite.js';
import { fairnessSuite } from './suites/fairness-suite.js';
import { idleCostSuite } from './suites/idle-cost-suite.js';
import { memorySoakSuite } from './suites/memory-soak-suite.js';
import { multiInstanceSuite } from './suites/multi-instance-suite.js';
import { pickupSuite } from './suites/pickup-suite.js';
import { steadyLoadSuite } from './suites/steady-load-suite.js';
import { workflowsSuite } from './suites/workflows-suite.js';
import { formatTargets, type TargetCheck } from './targets.js';
import { installedVersion } from './versions.js';

const SUITES: Record<ScenarioName, Suite> = {
  enqueue: enqueueSuite,
  drain: drainSuite,
  pickup: pickupSuite,
  idle: idleCostSuite,
  'multi-instance': multiInstanceSuite,
  fairness: fairnessSuite,
  steady: steadyLoadSuite,
  memory: memorySoakSuite,
  dedupe: dedupeSuite,
  workflows: workflowsSuite,
};

/**
 * `latest.json` for a full run, `latest-quick.json` for a quick run of every scenario,
 * `only-<scenarios>[-quick].json` for a run of some scenarios, so a smoke run never overwrites the
 * recorded full run.
 */
function resultsFile(options: BenchOptions): string {
  const partial = options.scenarios.length < SCENARIOS.length;
  const name = !partial
    ? `latest${options.quick ? '-quick' : ''}.json`
    : `only-${options.scenarios.join('-')}${options.quick ? '-quick' : ''}.json`;
  return fileURLToPath(new URL(`../results/${name}`, import.meta.url));
}

function machine(): BenchReport['machine'] {
  const cpus = os.cpus();
  return {
    cpus: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2), process.env);
  if (!options) return;
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
    const mode = options.quick ? 'quick' : 'full';
    log(`backend: ${backend.description}`);
    log(`versions: ${JSON.stringify(versions)}; ${mode} mode, ${options.runs} run(s); ${options.scenarios.join(', ')}`);
    const startedAt = performance.now();
    const loadAtStart = os.loadavg()[0] ?? Number.NaN;
    const figures: Figure[] = [];
    const targets: TargetCheck[] = [];
    const notes: string[] = [];
    const settings: Record<string, unknown> = { runs: options.runs };
    const details: Record<string, unknown> = {};
    for (const name of options.scenarios) {
      const suiteStartedAt = performance.now();
      log(`scenario ${name}…`);
      const result = await SUITES[name].run(context, options);
      figures.push(...result.figures);
      targets.push(...result.targets);
      notes.push(...result.notes);
      settings[name] = result.settings;
      Object.assign(details, result.details);
      log(`scenario ${name} took ${((performance.now() - suiteStartedAt) / 1000).toFixed(0)} s`);
    }
    const wallSeconds = Math.round((performance.now() - startedAt) / 1000);
    const report: BenchReport = {
      generatedAt: new Date().toISOString(),
      mode,
      scenarios: options.scenarios,
      wallSeconds,
      machine: { ...machine(), loadAverage1m: { start: loadAtStart, end: os.loadavg()[0] ?? Number.NaN } },
      backend: backend.kind === 'uri' ? backend.description : `${backend.kind}: jongodb behind the serialising relay`,
      versions,
      settings,
      figures,
      targets,
      ...details,
    };
    const file = resultsFile(options);
    writeReport(file, report);
    const { cpus, cores, memoryGiB } = report.machine;
    const out = [
      `Monque vs Agenda — ${report.backend}`,
      `node ${versions.node}, mongodb driver ${versions.mongodb}, monque ${versions.monque}, agenda ${versions.agenda}`,
      `${cpus} × ${cores}, ${memoryGiB} GiB, ${report.machine.os}; load average ${loadAtStart.toFixed(1)} at the start, ` +
        `${(os.loadavg()[0] ?? 0).toFixed(1)} at the end; ${mode} mode, ${options.runs} run(s) (median; latency percentiles pooled)`,
      '',
      formatTable(figures),
      '',
      ...notes,
      ...(notes.length > 0 ? [''] : []),
      'Targets:',
      formatTargets(targets),
      '',
      `${targets.filter((t) => t.met).length}/${targets.length} targets met. Written to ${file}; the run took ${wallSeconds} s.`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await Promise.allSettled([monitored.close(), setup.close()]);
    await backend.stop();
  }
}

main()
  .catch((error: unknown) => {
    if (error instanceof BenchUsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    // Agenda 6 leaves one liveness timer per processed job (lockLifetime / 2 = 5 minutes by
    // default, never cleared), which would keep this process alive long after the run.
    process.exit();
  });
