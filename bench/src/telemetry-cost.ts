/**
 * What OpenTelemetry support costs Monque: the drain (pre-enqueued no-op jobs run by one
 * scheduler) with telemetry off, on with `@opentelemetry/api` loaded but no provider registered
 * (the API's no-ops), and on with SDK providers (every span exported to an exporter that drops it,
 * metrics to a reader never collected); then the hooks alone, per job, in a tight loop, the same three ways and
 * with the package absent (the loader finds nothing).
 *
 *   npx tsx bench/src/telemetry-cost.ts                  # 7 rounds of 500 jobs
 *   npx tsx bench/src/telemetry-cost.ts --rounds 3 --jobs 300
 *
 * MONGODB_URI when set, else the embedded backend (jongodb behind the serialising relay). Each
 * round drains once per mode, the modes in a new random order each round; medians are printed.
 * Throughput is dominated by the database; CPU time of this process per job (the database runs in
 * another process) is the finer measure of what the hooks add.
 */
import { parseArgs } from 'node:util';
import { metrics, trace } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { type Db, MongoClient, ObjectId } from 'mongodb';
import { type Instrumentation, noInstrumentation } from '../../packages/core/src/engine/instrumentation.js';
import { Monque } from '../../packages/core/src/index.js';
import type { JobDocument } from '../../packages/core/src/store/job-document.js';
import { createInstrumentation } from '../../packages/core/src/telemetry/create-instrumentation.js';
import { loadOpenTelemetryApi } from '../../packages/core/src/telemetry/opentelemetry-api.js';
import { resolveTestBackend } from '../../tools/test-backend/src/resolve.js';

type Mode = 'off' | 'no provider' | 'SDK';
const MODES: readonly Mode[] = ['off', 'no provider', 'SDK'];

/** Takes every finished span and keeps none (an in-memory exporter would grow the heap). */
class DiscardingExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
}

class UncollectedReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** Registers SDK providers globally; returns the function that unregisters them. */
function registerSdk(): () => void {
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new DiscardingExporter())] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new UncollectedReader()] }));
  return () => {
    trace.disable();
    metrics.disable();
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(Math.random() * (index + 1));
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

interface DrainRun {
  readonly jobsPerSecond: number;
  readonly cpuMicrosPerJob: number;
}

let collections = 0;

/** Pre-enqueues `jobs` no-op jobs, then times one scheduler running all of them. */
async function drain(db: Db, mode: Mode, jobs: number): Promise<DrainRun> {
  collections += 1;
  const collectionName = `bench_telemetry_${process.pid}_${collections}`;
  const unregister = mode === 'SDK' ? registerSdk() : () => {};
  try {
    const options = { collectionName, pollInterval: 1000, changeStreamWakeups: false, telemetry: mode !== 'off' };
    const producer = new Monque(db, options);
    await producer.enqueueMany(Array.from({ length: jobs }, (_, seq) => ({ name: 'noop', data: { seq } })));
    const scheduler = new Monque(db, { ...options, defaultConcurrency: 50 });
    let done = 0;
    const allDone = new Promise<void>((resolve) => {
      scheduler.on('job:complete', () => {
        done += 1;
        if (done === jobs) resolve();
      });
    });
    scheduler.worker('noop', async () => {});
    const cpuBefore = process.cpuUsage();
    const startedAt = performance.now();
    await scheduler.start();
    await allDone;
    const seconds = (performance.now() - startedAt) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    await scheduler.stop();
    return { jobsPerSecond: jobs / seconds, cpuMicrosPerJob: (cpu.user + cpu.system) / jobs };
  } finally {
    unregister();
    await db.collection(collectionName).deleteMany({});
  }
}

/** Nanoseconds per job of the three hooks (enqueue of one job, run, runEnded) around no work. */
async function hookCost(instrumentation: Instrumentation, iterations: number): Promise<number> {
  const doc = { _id: new ObjectId(), name: 'noop', failCount: 0 } as JobDocument;
  const written = async () => doc;
  const handler = async () => undefined;
  const startedAt = process.hrtime.bigint();
  for (let index = 0; index < iterations; index += 1) {
    const job = await instrumentation.enqueue('noop', 1, written);
    await instrumentation.run(job, handler);
    instrumentation.runEnded('noop', 'completed', 1);
  }
  return Number(process.hrtime.bigint() - startedAt) / iterations;
}

async function hookCosts(rounds: number): Promise<Record<string, number>> {
  await loadOpenTelemetryApi();
  const absent = createInstrumentation({}, { loadApi: () => Promise.resolve(undefined) });
  await absent.enqueue('warm-up', 1, async () => undefined);
  const tracing = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new DiscardingExporter())] });
  const variants: Record<string, Instrumentation> = {
    off: noInstrumentation,
    'package absent': absent,
    'no provider': createInstrumentation({}),
    SDK: createInstrumentation({
      tracerProvider: tracing,
      meterProvider: new MeterProvider({ readers: [new UncollectedReader()] }),
    }),
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (const [, instrumentation] of Object.entries(variants)) await hookCost(instrumentation, 20_000); // warm-up
  for (let round = 0; round < rounds; round += 1) {
    for (const name of shuffled(Object.keys(variants))) {
      samples[name]?.push(await hookCost(variants[name] as Instrumentation, 100_000));
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '7' }, jobs: { type: 'string', default: '500' } },
  });
  const rounds = Number(values.rounds);
  const jobs = Number(values.jobs);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds: expected a positive integer, got ${values.rounds}`);
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs: expected a positive integer, got ${values.jobs}`);
  const backend = await resolveTestBackend();
  const client = await new MongoClient(backend.uri).connect();
  try {
    console.log(`backend: ${backend.description}; node ${process.version}; ${rounds} rounds of ${jobs} jobs`);
    await loadOpenTelemetryApi();
    const db = client.db('monque_bench_telemetry');
    await drain(db, 'off', Math.min(jobs, 100)); // warm-up: indexes, JIT
    const runs: Record<Mode, DrainRun[]> = { off: [], 'no provider': [], SDK: [] };
    for (let round = 0; round < rounds; round += 1) {
      for (const mode of shuffled(MODES)) runs[mode].push(await drain(db, mode, jobs));
    }
    console.log('\ndrain (median over rounds; min–max in brackets)');
    console.log('mode          jobs/s                  CPU µs/job (this process)');
    for (const mode of MODES) {
      const rates = runs[mode].map((run) => run.jobsPerSecond);
      const cpu = runs[mode].map((run) => run.cpuMicrosPerJob);
      const range = (list: number[], digits: number) =>
        `${median(list).toFixed(digits)} [${Math.min(...list).toFixed(digits)}–${Math.max(...list).toFixed(digits)}]`;
      console.log(`${mode.padEnd(13)} ${range(rates, 0).padEnd(23)} ${range(cpu, 0)}`);
    }
    console.log('\nhooks alone (enqueue + run + runEnded of one job, no I/O), median of 5 × 100 000');
    for (const [name, nanoseconds] of Object.entries(await hookCosts(5))) {
      console.log(`${name.padEnd(15)} ${nanoseconds.toFixed(0).padStart(6)} ns/job`);
    }
  } finally {
    await client.close();
    await backend.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
