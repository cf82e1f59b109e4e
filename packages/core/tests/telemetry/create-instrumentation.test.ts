/**
 * Choosing the instrumentation: bad providers are refused at construction, a missing
 * `@opentelemetry/api` leaves the no-op hooks (and says so when providers were given), and calls
 * made while the API loads wait for it.
 */
import { trace } from '@opentelemetry/api';
import { describe, expect, it, vi } from 'vitest';
import { noInstrumentation } from '../../src/engine/instrumentation.js';
import { InvalidArgumentError } from '../../src/index.js';
import { createInstrumentation } from '../../src/telemetry/create-instrumentation.js';
import { loadOpenTelemetryApi, type OpenTelemetryApi } from '../../src/telemetry/opentelemetry-api.js';
import { createMonque, useTestDb } from '../helpers/monque.js';
import { inMemoryTracing, useGlobalOpenTelemetry } from './otel-fixture.js';

const getDb = useTestDb(import.meta.url);
useGlobalOpenTelemetry();

const absent = () => Promise.resolve(undefined);

describe('createInstrumentation', () => {
  it('is the no-op hooks with telemetry: false', () => {
    expect(createInstrumentation(false)).toBe(noInstrumentation);
  });

  it.each([
    [
      { tracerProvider: {} },
      'options.telemetry.tracerProvider: expected an OpenTelemetry TracerProvider (with getTracer())',
    ],
    [
      { meterProvider: 42 },
      'options.telemetry.meterProvider: expected an OpenTelemetry MeterProvider (with getMeter()), got 42',
    ],
    [
      { meterProvider: null },
      'options.telemetry.meterProvider: expected an OpenTelemetry MeterProvider (with getMeter()), got null',
    ],
  ])('refuses %o naming the option', (telemetry, message) => {
    expect(() => createInstrumentation(telemetry as never)).toThrow(InvalidArgumentError);
    expect(() => createInstrumentation(telemetry as never)).toThrow(message);
  });

  it('refuses a bad provider at construction, before anything is written', async () => {
    const db = await getDb();
    expect(() => createMonque(db, { telemetry: { tracerProvider: { getTracer: 'no' } } })).toThrow(
      /options\.telemetry\.tracerProvider: expected an OpenTelemetry TracerProvider/,
    );
  });

  it('without @opentelemetry/api: no carrier, the work runs as given, nothing recorded', async () => {
    const instrumentation = createInstrumentation({}, { loadApi: absent });
    const carriers: unknown[] = [];
    const result = await instrumentation.enqueue('job', 1, async (carrier) => {
      carriers.push(carrier);
      return 'written';
    });
    expect(result).toBe('written');
    expect(carriers).toEqual([undefined]);
    await expect(instrumentation.run({ name: 'job' } as never, async () => 'ran')).resolves.toBe('ran');
    await expect(
      instrumentation.run({ name: 'job' } as never, async () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow('boom');
    // Once loaded, the hooks are the no-op ones themselves: no wrapper left on the path.
    expect(instrumentation.enqueue).toBe(noInstrumentation.enqueue);
    expect(instrumentation.run).toBe(noInstrumentation.run);
    expect(instrumentation.runEnded).toBe(noInstrumentation.runEnded);
  });

  it('without @opentelemetry/api but with providers given: warns once through the logger', async () => {
    const warn = vi.fn();
    const instrumentation = createInstrumentation(
      { tracerProvider: inMemoryTracing().provider },
      { loadApi: absent, logger: { warn } },
    );
    await instrumentation.enqueue('job', 1, async () => {});
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toContain('@opentelemetry/api could not be loaded');
  });

  it('a loader that rejects counts as absent', async () => {
    const instrumentation = createInstrumentation({}, { loadApi: () => Promise.reject(new Error('broken install')) });
    await expect(instrumentation.enqueue('job', 1, async (carrier) => carrier)).resolves.toBeUndefined();
  });

  it('calls made while the API loads wait for it, then trace', async () => {
    const { provider, exporter } = inMemoryTracing();
    trace.setGlobalTracerProvider(provider);
    const api = (await loadOpenTelemetryApi()) as OpenTelemetryApi;
    let release: (value: OpenTelemetryApi) => void = () => {};
    const loading = new Promise<OpenTelemetryApi>((resolve) => {
      release = resolve;
    });
    const instrumentation = createInstrumentation({}, { loadApi: () => loading });
    instrumentation.runEnded('job', 'completed', 5); // before any run: nothing to record, no error
    const enqueued = instrumentation.enqueue('job', 1, async (carrier) => carrier);
    const ran = instrumentation.run(
      { name: 'job', _id: { toHexString: () => 'id' }, failCount: 0 } as never,
      async () => 'ok',
    );
    expect(exporter.getFinishedSpans()).toEqual([]);
    release(api);

    expect(await enqueued).toEqual({ traceparent: expect.stringMatching(/^00-[\da-f]{32}-[\da-f]{16}-01$/) });
    expect(await ran).toBe('ok');
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['enqueue job', 'process job']);
  });

  it('a faulty propagator does not stop the enqueue: the job goes without a context', async () => {
    const { provider, exporter } = inMemoryTracing();
    const api = (await loadOpenTelemetryApi()) as OpenTelemetryApi;
    api.propagation.setGlobalPropagator({
      inject: () => {
        throw new Error('propagator bug');
      },
      extract: () => {
        throw new Error('propagator bug');
      },
      fields: () => [],
    });
    const instrumentation = createInstrumentation({ tracerProvider: provider });
    await expect(instrumentation.enqueue('job', 1, async (carrier) => carrier)).resolves.toBeUndefined();
    const job = { name: 'job', _id: { toHexString: () => 'id' }, failCount: 0, trace: { traceparent: 'x' } };
    await expect(instrumentation.run(job as never, async () => 'ran')).resolves.toBe('ran');
    const [enqueue, run] = exporter.getFinishedSpans();
    expect(enqueue?.events.map((event) => event.attributes?.['exception.message'])).toEqual(['propagator bug']);
    expect(run?.links).toEqual([]);
  });

  it('a synchronous throw of the work becomes a rejection, and the span ends', async () => {
    const { provider, exporter } = inMemoryTracing();
    await loadOpenTelemetryApi();
    const instrumentation = createInstrumentation({ tracerProvider: provider });
    const work = (() => {
      throw new Error('sync');
    }) as () => Promise<never>;
    await expect(instrumentation.enqueue('job', 2, work)).rejects.toThrow('sync');
    const [enqueue] = exporter.getFinishedSpans();
    expect(enqueue?.attributes['messaging.batch.message_count']).toBe(2);
    expect(enqueue?.status.message).toBe('sync');
  });
});
