/**
 * Observability: the OpenTelemetry SDK set-up that Monque's spans and metrics need. Uses only
 * `@opentelemetry/api` and the SDK packages; the OTLP exporters for Jaeger are shown in comments
 * (they are two more packages).
 */
// #region setup
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
// To Jaeger (or any OTLP collector) instead of the console, install
// @opentelemetry/exporter-trace-otlp-http and @opentelemetry/exporter-metrics-otlp-http:
//   import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
//   import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
//   setUpOpenTelemetry('billing-worker', {
//     spans: new OTLPTraceExporter(), // http://localhost:4318/v1/traces
//     metrics: new OTLPMetricExporter(), // http://localhost:4318/v1/metrics
//   });

/** Registers the global providers. Call it before creating `Monque`s. */
export function setUpOpenTelemetry(
  serviceName: string,
  exporters: { spans?: SpanExporter; metrics?: PushMetricExporter } = {},
): { shutdown: () => Promise<void> } {
  const resource = resourceFromAttributes({ 'service.name': serviceName });
  // Without a context manager, spans would not nest (e.g. yours in a handler).
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(exporters.spans ?? new ConsoleSpanExporter())],
  });
  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: exporters.metrics ?? new ConsoleMetricExporter(),
        exportIntervalMillis: 15_000,
      }),
    ],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    // On SIGTERM, after `monque.stop()`: sends what is buffered.
    shutdown: async () => {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    },
  };
}
// #endregion setup
