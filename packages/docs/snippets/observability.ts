/**
 * Observability: spans in a handler, an enqueue inside a request's span, and the `telemetry`
 * option (the SDK set-up is in observability-setup.ts).
 */
import { type Job, Monque } from '@monque/core';
import { type TracerProvider, trace } from '@opentelemetry/api';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Db } from 'mongodb';

/** A worker whose handler adds its own span, and an endpoint that enqueues inside its request span. */
export function invoicing(monque: Monque): { createInvoice: (customerId: number) => Promise<Job> } {
  // #region handler
  const tracer = trace.getTracer('billing');
  monque.worker<{ customerId: number }>('send-invoice', async (job) => {
    // Runs inside the job's "process send-invoice" span: this is its child.
    await tracer.startActiveSpan('render invoice', async (span) => {
      span.setAttribute('customer.id', job.data.customerId);
      span.end();
    });
  });
  // #endregion handler

  // #region enqueue
  // E.g. in an HTTP handler: the enqueue span is a child of the request's
  // span, and the job's run, in whichever process, continues that trace.
  const createInvoice = (customerId: number) =>
    tracer.startActiveSpan('POST /invoices', async (request) => {
      try {
        return await monque.enqueue('send-invoice', { customerId });
      } finally {
        request.end();
      }
    });
  // #endregion enqueue
  return { createInvoice };
}

/** The `telemetry` option's three forms. */
export function telemetryOptions(db: Db, tracerProvider: TracerProvider, meterProvider: MeterProvider) {
  // #region options
  // Default (telemetry: true): the global providers.
  const traced = new Monque(db);
  // No spans, no metrics, nothing stored on jobs.
  const untraced = new Monque(db, { telemetry: false });
  // These providers instead of the global ones.
  const ownProviders = new Monque(db, {
    telemetry: { tracerProvider, meterProvider },
  });
  // #endregion options
  return { traced, untraced, ownProviders };
}
