/**
 * OpenTelemetry SDK set-ups for the telemetry tests: in-memory span exporters, a metric reader
 * collected on demand, and the AsyncLocalStorage context manager. Global registrations are undone
 * after every test (the tests of a file share one process).
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach } from 'vitest';

/** A tracer provider that keeps its finished spans in memory. */
export function inMemoryTracing(): { provider: BasicTracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { provider, exporter };
}

/** A metric reader whose `collect()` the test calls. */
export class TestMetricReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}

  /** The points of every metric, by name. */
  async points(): Promise<Map<string, DataPoint<number | Histogram>[]>> {
    const { resourceMetrics, errors } = await this.collect();
    if (errors.length > 0) throw errors[0];
    return pointsByName(resourceMetrics);
  }
}

function pointsByName(resourceMetrics: ResourceMetrics): Map<string, DataPoint<number | Histogram>[]> {
  const byName = new Map<string, DataPoint<number | Histogram>[]>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const points = byName.get(metric.descriptor.name) ?? [];
      points.push(...(metric.dataPoints as DataPoint<number | Histogram>[]));
      byName.set(metric.descriptor.name, points);
    }
  }
  return byName;
}

/** A meter provider with one {@link TestMetricReader}. */
export function inMemoryMetrics(): { provider: MeterProvider; reader: TestMetricReader } {
  const reader = new TestMetricReader();
  return { provider: new MeterProvider({ readers: [reader] }), reader };
}

/** The value of the point of `name` (or, for a histogram, its count) whose attributes include `attributes`. */
export function pointValue(
  points: Map<string, DataPoint<number | Histogram>[]>,
  name: string,
  attributes: Record<string, unknown>,
): number | undefined {
  const point = points
    .get(name)
    ?.find((candidate) => Object.entries(attributes).every(([key, value]) => candidate.attributes[key] === value));
  if (!point) return undefined;
  return typeof point.value === 'number' ? point.value : point.value.count;
}

/**
 * Registers the AsyncLocalStorage context manager before each test, and undoes every global
 * registration (context manager, tracer and meter providers, propagator) after it.
 */
export function useGlobalOpenTelemetry(): void {
  beforeEach(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterEach(() => {
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
  });
}

/** The finished spans named `name`. */
export function spansNamed(exporter: InMemorySpanExporter, name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.name === name);
}
