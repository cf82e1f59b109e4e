/**
 * The samples of "Observability": the SDK set-up, with in-memory exporters in place of the console
 * and OTLP ones, exports the trace the page describes (request → enqueue → run → the handler's own
 * span, across two instances) and Monque's metrics; the `telemetry` option's three forms construct.
 */
import { Monque } from '@monque/core';
import { cleanupTestDb, freshCollectionName, getTestDb } from '@monque/test-backend';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Db } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invoicing, telemetryOptions } from '../snippets/observability.js';
import { setUpOpenTelemetry } from '../snippets/observability-setup.js';

/** Keeps its spans when the provider shuts down (the SDK's in-memory exporter empties itself then). */
class KeptSpans extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

describe('the samples of "Observability"', () => {
  let db: Db;

  beforeAll(async () => {
    db = await getTestDb(import.meta.url);
  });

  afterEach(() => {
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
  });

  afterAll(async () => {
    await cleanupTestDb(db);
  });

  it('exports one trace from the request to the handler, across two instances, and the metrics', async () => {
    const spans = new KeptSpans();
    const exported = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const telemetry = setUpOpenTelemetry('billing-docs-test', { spans, metrics: exported });
    const collectionName = freshCollectionName(db);
    const api = new Monque(db, { collectionName });
    const worker = new Monque(db, { collectionName, pollInterval: 50 });
    invoicing(worker);
    const { createInvoice } = invoicing(api);
    const completed = new Promise((resolve) => worker.once('job:complete', resolve));

    await createInvoice(42);
    await worker.start();
    await completed;
    await worker.stop();
    await telemetry.shutdown(); // flushes the batch span processor and the metric reader

    const byName = new Map(spans.getFinishedSpans().map((span) => [span.name, span]));
    const span = (name: string) => byName.get(name) as ReadableSpan;
    expect([...byName.keys()].sort()).toEqual([
      'POST /invoices',
      'enqueue send-invoice',
      'process send-invoice',
      'render invoice',
    ]);
    expect(span('enqueue send-invoice').parentSpanContext?.spanId).toBe(span('POST /invoices').spanContext().spanId);
    expect(span('process send-invoice').parentSpanContext?.spanId).toBe(
      span('enqueue send-invoice').spanContext().spanId,
    );
    expect(span('render invoice').parentSpanContext?.spanId).toBe(span('process send-invoice').spanContext().spanId);
    expect(new Set(spans.getFinishedSpans().map((each) => each.spanContext().traceId)).size).toBe(1);
    expect(span('process send-invoice').resource.attributes['service.name']).toBe('billing-docs-test');

    const names = exported
      .getMetrics()
      .flatMap((resource) => resource.scopeMetrics)
      .filter((scope) => scope.scope.name === '@monque/core')
      .flatMap((scope) => scope.metrics.map((metric) => metric.descriptor.name));
    expect(names).toEqual(
      expect.arrayContaining(['monque.jobs.started', 'monque.jobs.completed', 'messaging.process.duration']),
    );
  });

  it('constructs the three forms of the telemetry option', () => {
    const forms = telemetryOptions(db, new BasicTracerProvider(), new MeterProvider());
    expect(Object.values(forms).every((monque) => monque instanceof Monque)).toBe(true);
  });
});
