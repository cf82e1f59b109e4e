/**
 * Run by `gauge-release.test.ts` as `node --expose-gc --import tsx gc-probe.ts`: makes two
 * instrumentations with a due-jobs gauge on one meter provider, collects metrics once, drops one,
 * collects garbage, and prints (JSON on stdout) whether the dropped one was freed and whether the
 * kept one still reports.
 */
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { createInstrumentation } from '../../src/telemetry/create-instrumentation.js';
import { loadOpenTelemetryApi } from '../../src/telemetry/opentelemetry-api.js';

class Reader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

async function dueNames(reader: Reader): Promise<string[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === 'monque.jobs.due')
    .flatMap((metric) => metric.dataPoints.map((point) => String(point.attributes['messaging.destination.name'])))
    .sort();
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
await loadOpenTelemetryApi();
const reader = new Reader();
const provider = new MeterProvider({ readers: [reader] });
// The source stands for what a real one holds: the collection, hence the client.
const sourceOf = (name: string) => async () => new Map([[name, 1]]);
const make = (source: () => Promise<Map<string, number>>) =>
  createInstrumentation({ meterProvider: provider }, { dueJobs: source });
const kept = make(sourceOf('kept'));
const dropped = new WeakRef(sourceOf('dropped'));
make(dropped.deref() as () => Promise<Map<string, number>>);
const before = await dueNames(reader);
for (let round = 0; round < 5; round += 1) {
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}
// The SDK goes on exporting a gauge's last value per attribute set: what matters is the memory.
const after = await dueNames(reader);
process.stdout.write(
  `${JSON.stringify({ before, droppedFreed: dropped.deref() === undefined, keptReports: after.includes('kept'), kept: typeof kept.run })}\n`,
);
