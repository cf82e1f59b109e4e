/**
 * Spans of enqueues and runs, through the SDK's in-memory exporter and the global providers:
 * the run of a job enqueued by another instance inside a request's span is a child of the
 * enqueue's span and links to it; failures are recorded; `telemetry: false` and explicit
 * providers are honoured.
 */
import { freshCollectionName } from '@monque/test-backend';
import { context, propagation, type SpanContext, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { ConnectionError, Monque } from '../../src/index.js';
import { createMonque, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';
import { openOwnClient, useOwnClients } from '../helpers/own-client.js';
import { inMemoryTracing, spansNamed, useGlobalOpenTelemetry } from './otel-fixture.js';

const getDb = useTestDb(import.meta.url);
useGlobalOpenTelemetry();
useOwnClients();

function traceparentOf(spanContext: SpanContext): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-0${spanContext.traceFlags}`;
}

function only(spans: ReadableSpan[], what: string): ReadableSpan {
  expect(spans, what).toHaveLength(1);
  return spans[0] as ReadableSpan;
}

describe('tracing', () => {
  it('links a run in one instance to the enqueue in another, made inside a request span', async () => {
    const db = await getDb();
    const { provider, exporter } = inMemoryTracing();
    trace.setGlobalTracerProvider(provider);
    const collectionName = freshCollectionName(db);
    const api = createMonque(db, { collectionName });
    const worker = createMonque(db, { collectionName });
    let handlerSpan: SpanContext | undefined;
    worker.worker('send-welcome', async () => {
      handlerSpan = trace.getActiveSpan()?.spanContext();
      trace.getTracer('app').startSpan('render template').end();
    });

    const tracer = trace.getTracer('app');
    const job = await tracer.startActiveSpan('POST /signup', async (request) => {
      try {
        return await api.enqueue('send-welcome', { userId: 7 });
      } finally {
        request.end();
      }
    });
    const completed = nextEvent(worker, 'job:complete');
    await worker.start();
    await completed;

    const request = only(spansNamed(exporter, 'POST /signup'), 'request span');
    const enqueue = only(spansNamed(exporter, 'enqueue send-welcome'), 'enqueue span');
    const run = only(spansNamed(exporter, 'process send-welcome'), 'process span');
    const render = only(spansNamed(exporter, 'render template'), 'handler span');

    expect(enqueue.kind).toBe(SpanKind.PRODUCER);
    expect(enqueue.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    expect(enqueue.instrumentationScope.name).toBe('@monque/core');
    expect(enqueue.instrumentationScope.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(enqueue.attributes).toEqual({
      'messaging.system': 'monque',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'enqueue',
      'messaging.destination.name': 'send-welcome',
      'messaging.message.id': job._id.toHexString(),
    });
    const stored = await jobsOf(db, api).findOne({ _id: job._id });
    expect((stored as { trace?: unknown }).trace).toEqual({ traceparent: traceparentOf(enqueue.spanContext()) });

    expect(run.kind).toBe(SpanKind.CONSUMER);
    expect(run.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(run.parentSpanContext?.spanId).toBe(enqueue.spanContext().spanId);
    expect(run.links.map((link) => link.context.spanId)).toEqual([enqueue.spanContext().spanId]);
    expect(run.links[0]?.context.traceId).toBe(enqueue.spanContext().traceId);
    expect(run.status.code).toBe(SpanStatusCode.UNSET);
    expect(run.attributes).toEqual({
      'messaging.system': 'monque',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': 'send-welcome',
      'messaging.message.id': job._id.toHexString(),
      'monque.job.fail_count': 0,
    });
    expect(handlerSpan?.spanId).toBe(run.spanContext().spanId);
    expect(render.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    await worker.stop();
  });

  it('records a failed run: status ERROR, the exception, error.type', async () => {
    const db = await getDb();
    const { provider, exporter } = inMemoryTracing();
    trace.setGlobalTracerProvider(provider);
    const monque = createMonque(db, { maxRetries: 1 });
    class CardDeclinedError extends Error {
      override name = 'CardDeclinedError';
    }
    monque.worker('charge', async () => {
      throw new CardDeclinedError('card declined');
    });
    const failed = nextEvent(monque, 'job:fail');
    await monque.enqueue('charge', {});
    await monque.start();
    await failed;

    const run = only(spansNamed(exporter, 'process charge'), 'process span');
    expect(run.status).toEqual({ code: SpanStatusCode.ERROR, message: 'card declined' });
    expect(run.attributes['error.type']).toBe('CardDeclinedError');
    const exception = run.events.find((event) => event.name === 'exception');
    expect(exception?.attributes).toMatchObject({
      'exception.type': 'CardDeclinedError',
      'exception.message': 'card declined',
    });
    await monque.stop();
  });

  it('records a thrown non-Error value as the exception message', async () => {
    const db = await getDb();
    const { provider, exporter } = inMemoryTracing();
    trace.setGlobalTracerProvider(provider);
    const monque = createMonque(db, { maxRetries: 1 });
    monque.worker('odd', async () => {
      throw { code: 42 };
    });
    const failed = nextEvent(monque, 'job:fail');
    await monque.enqueue('odd', {});
    await monque.start();
    await failed;

    const run = only(spansNamed(exporter, 'process odd'), 'process span');
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
    expect(run.status.message).toBe('a non-Error value was thrown: {"code":42}');
    expect(run.attributes['error.type']).toBe('_OTHER');
    await monque.stop();
  });

  it('makes one span per enqueueMany call, with the batch size, and carries its context to every job', async () => {
    const db = await getDb();
    const { provider, exporter } = inMemoryTracing();
    trace.setGlobalTracerProvider(provider);
    const monque = createMonque(db);
    const jobs = await monque.enqueueMany([
      { name: 'resize', data: { id: 1 } },
      { name: 'resize', data: { id: 2 } },
      { name: 'resize', data: { id: 3 } },
    ]);

    const enqueue = only(spansNamed(exporter, 'enqueue resize'), 'enqueue span');
    expect(enqueue.attributes).toMatchObject({
      'messaging.destination.name': 'resize',
      'messaging.batch.message_count': 3,
    });
    expect(enqueue.attributes['messaging.message.id']).toBeUndefined();
    const stored = await jobsOf(db, monque)
      .find({ _id: { $in: jobs.map((job) => job._id) } })
      .toArray();
    expect(stored.map((doc) => (doc as { trace?: { traceparent?: string } }).trace?.traceparent)).toEqual(
      Array(3).fill(traceparentOf(enqueue.spanContext())),
    );
  });

  it('ends the enqueue span with ERROR when the enqueue fails', async () => {
    const db = await getDb();
    const { provider, exporter } = inMemoryTracing();
    trace.setGlobalTracerProvider(provider);
    const { client } = await openOwnClient();
    const monque = new Monque(client.db(db.databaseName), { collectionName: freshCollectionName(db) });
    await client.close();
    const error = await monque.enqueue('import', {}).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(ConnectionError);
    const enqueue = only(spansNamed(exporter, 'enqueue import'), 'enqueue span');
    expect(enqueue.status).toEqual({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    expect(enqueue.attributes['error.type']).toBe('ConnectionError');
    expect(enqueue.events.map((event) => event.name)).toEqual(['exception']);
  });

  it('uses the registered propagator, tracestate included', async () => {
    const db = await getDb();
    const { provider, exporter } = inMemoryTracing();
    trace.setGlobalTracerProvider(provider);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const monque = createMonque(db);
    monque.worker('bill', async () => {});
    const upstream = propagation.extract(context.active(), {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=abc',
    });
    const job = await context.with(upstream, () => monque.enqueue('bill', {}));
    const completed = nextEvent(monque, 'job:complete');
    await monque.start();
    await completed;

    const enqueue = only(spansNamed(exporter, 'enqueue bill'), 'enqueue span');
    const run = only(spansNamed(exporter, 'process bill'), 'process span');
    expect(enqueue.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(enqueue.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    const stored = await jobsOf(db, monque).findOne({ _id: job._id });
    expect((stored as { trace?: unknown }).trace).toEqual({
      traceparent: traceparentOf(enqueue.spanContext()),
      tracestate: 'vendor=abc',
    });
    expect(run.parentSpanContext?.spanId).toBe(enqueue.spanContext().spanId);
    expect(run.links[0]?.context.traceState?.get('vendor')).toBe('abc');
    await monque.stop();
  });

  it('starts a new trace for a job without a stored context, whatever span was active at start()', async () => {
    const db = await getDb();
    const { provider, exporter } = inMemoryTracing();
    trace.setGlobalTracerProvider(provider);
    const collectionName = freshCollectionName(db);
    const untraced = createMonque(db, { collectionName, telemetry: false });
    const monque = createMonque(db, { collectionName });
    monque.worker('cleanup', async () => {});
    const job = await untraced.enqueue('cleanup', {});
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).not.toHaveProperty('trace');
    const completed = nextEvent(monque, 'job:complete');
    const boot = trace.getTracer('app').startSpan('boot');
    await context.with(trace.setSpan(context.active(), boot), () => monque.start());
    boot.end();
    await completed;

    const run = only(spansNamed(exporter, 'process cleanup'), 'process span');
    expect(run.parentSpanContext).toBeUndefined();
    expect(run.links).toEqual([]);
    expect(spansNamed(exporter, 'enqueue cleanup')).toEqual([]);
    await monque.stop();
  });

  it('makes no span and stores no context with telemetry: false', async () => {
    const db = await getDb();
    const { provider, exporter } = inMemoryTracing();
    trace.setGlobalTracerProvider(provider);
    const monque = createMonque(db, { telemetry: false });
    monque.worker('quiet', async () => {});
    const job = await trace.getTracer('app').startActiveSpan('request', async (span) => {
      try {
        return await monque.enqueue('quiet', {});
      } finally {
        span.end();
      }
    });
    const completed = nextEvent(monque, 'job:complete');
    await monque.start();
    await completed;

    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['request']);
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).not.toHaveProperty('trace');
    await monque.stop();
  });

  it('uses an explicit tracerProvider instead of the global one', async () => {
    const db = await getDb();
    const global = inMemoryTracing();
    const own = inMemoryTracing();
    trace.setGlobalTracerProvider(global.provider);
    const monque = createMonque(db, { telemetry: { tracerProvider: own.provider } });
    monque.worker('report', async () => {});
    await monque.enqueue('report', {});
    const completed = nextEvent(monque, 'job:complete');
    await monque.start();
    await completed;

    expect(global.exporter.getFinishedSpans()).toEqual([]);
    expect(own.exporter.getFinishedSpans().map((span) => span.name)).toEqual(['enqueue report', 'process report']);
    const [enqueue, run] = own.exporter.getFinishedSpans() as [ReadableSpan, ReadableSpan];
    expect(run.parentSpanContext?.spanId).toBe(enqueue.spanContext().spanId);
    await monque.stop();
  });

  it('stores no context when no tracer provider is registered and no trace came in', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const job = await monque.enqueue('plain', {});
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).not.toHaveProperty('trace');
  });
});
