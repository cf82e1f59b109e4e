/**
 * Run metrics through the SDK's MeterProvider and a reader collected on demand: counts of runs
 * started, completed, failed and cancelled by job name, the duration histogram, the due-jobs
 * gauge (cached), and which provider is used.
 */
import { metrics } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import type { JobDocument } from '../../src/store/job-document.js';
import { createInstrumentation } from '../../src/telemetry/create-instrumentation.js';
import { countDueJobs } from '../../src/telemetry/due-jobs.js';
import { loadOpenTelemetryApi } from '../../src/telemetry/opentelemetry-api.js';
import { createMonque, deferred, nextEvent, useTestDb } from '../helpers/monque.js';
import { inMemoryMetrics, pointValue, useGlobalOpenTelemetry } from './otel-fixture.js';

const getDb = useTestDb(import.meta.url);
useGlobalOpenTelemetry();

/** Resolves after `count` events `event` of `monque`. */
function events(
  monque: ReturnType<typeof createMonque>,
  event: 'job:complete' | 'job:fail' | 'job:cancelled',
  count: number,
) {
  return new Promise<void>((resolve) => {
    let seen = 0;
    monque.on(event, () => {
      seen += 1;
      if (seen === count) resolve();
    });
  });
}

describe('metrics', () => {
  it('counts runs started, completed, failed and cancelled by job name, and their durations', async () => {
    const db = await getDb();
    const { provider, reader } = inMemoryMetrics();
    metrics.setGlobalMeterProvider(provider);
    const monque = createMonque(db, { maxRetries: 2, heartbeatInterval: 50 });
    monque.worker('thumbnail', async () => {});
    monque.worker('charge', async () => {
      throw new Error('card declined');
    });
    const running = deferred();
    monque.worker('export', async (_job, { signal }) => {
      running.resolve();
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    });
    const completed = events(monque, 'job:complete', 2);
    const failed = events(monque, 'job:fail', 2);
    const cancelled = events(monque, 'job:cancelled', 1);
    await monque.enqueueMany([
      { name: 'thumbnail', data: { id: 1 } },
      { name: 'thumbnail', data: { id: 2 } },
      { name: 'charge', data: {} },
    ]);
    const exportJob = await monque.enqueue('export', {});
    await monque.start();
    await running.promise;
    await monque.cancelJob(exportJob._id);
    await Promise.all([completed, failed, cancelled]);

    const points = await reader.points();
    const thumbnail = { 'messaging.system': 'monque', 'messaging.destination.name': 'thumbnail' };
    const charge = { 'messaging.system': 'monque', 'messaging.destination.name': 'charge' };
    const exporting = { 'messaging.system': 'monque', 'messaging.destination.name': 'export' };
    expect(pointValue(points, 'monque.jobs.started', thumbnail)).toBe(2);
    expect(pointValue(points, 'monque.jobs.started', charge)).toBe(2);
    expect(pointValue(points, 'monque.jobs.started', exporting)).toBe(1);
    expect(pointValue(points, 'monque.jobs.completed', thumbnail)).toBe(2);
    expect(pointValue(points, 'monque.jobs.completed', charge)).toBeUndefined();
    expect(pointValue(points, 'monque.jobs.failed', charge)).toBe(2);
    expect(pointValue(points, 'monque.jobs.cancelled', exporting)).toBe(1);
    expect(pointValue(points, 'messaging.process.duration', { ...thumbnail, 'monque.job.outcome': 'completed' })).toBe(
      2,
    );
    expect(
      pointValue(points, 'messaging.process.duration', {
        ...charge,
        'monque.job.outcome': 'failed',
        'error.type': '_OTHER',
        'messaging.operation.name': 'process',
      }),
    ).toBe(2);
    const { resourceMetrics } = await reader.collect();
    const scope = resourceMetrics.scopeMetrics.find((candidate) => candidate.scope.name === '@monque/core');
    expect(scope?.scope.version).toMatch(/^\d+\.\d+\.\d+/);
    const duration = scope?.metrics.find((metric) => metric.descriptor.name === 'messaging.process.duration');
    expect(duration?.descriptor.unit).toBe('s');
    await monque.stop();
  });

  it('uses an explicit meterProvider instead of the global one', async () => {
    const db = await getDb();
    const global = inMemoryMetrics();
    const own = inMemoryMetrics();
    metrics.setGlobalMeterProvider(global.provider);
    const monque = createMonque(db, { telemetry: { meterProvider: own.provider } });
    monque.worker('report', async () => {});
    const completed = nextEvent(monque, 'job:complete');
    await monque.enqueue('report', {});
    await monque.start();
    await completed;

    const attributes = { 'messaging.destination.name': 'report' };
    expect(pointValue(await own.reader.points(), 'monque.jobs.completed', attributes)).toBe(1);
    expect(pointValue(await global.reader.points(), 'monque.jobs.completed', attributes)).toBeUndefined();
    await monque.stop();
  });

  it('reports to a global provider registered after the instance was made', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    monque.worker('late', async () => {});
    const { provider, reader } = inMemoryMetrics();
    metrics.setGlobalMeterProvider(provider);
    const completed = nextEvent(monque, 'job:complete');
    await monque.enqueue('late', {});
    await monque.start();
    await completed;

    expect(pointValue(await reader.points(), 'monque.jobs.completed', { 'messaging.destination.name': 'late' })).toBe(
      1,
    );
    await monque.stop();
  });

  it('records nothing with telemetry: false', async () => {
    const db = await getDb();
    const { provider, reader } = inMemoryMetrics();
    metrics.setGlobalMeterProvider(provider);
    const monque = createMonque(db, { telemetry: false });
    monque.worker('quiet', async () => {});
    const completed = nextEvent(monque, 'job:complete');
    await monque.enqueue('quiet', {});
    await monque.start();
    await completed;

    expect([...(await reader.points()).keys()]).toEqual([]);
    await monque.stop();
  });

  it('gauges due jobs per name from one cached count, not one query per collection', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const collection = db.collection<JobDocument>(monque.options.collectionName);
    await monque.enqueueMany([
      { name: 'email', data: { i: 1 } },
      { name: 'email', data: { i: 2 } },
      { name: 'email', data: { i: 3 } },
      { name: 'sms', data: {} },
      { name: 'email', data: { later: true }, options: { runAt: new Date(Date.now() + 3_600_000) } },
    ]);
    const { provider, reader } = inMemoryMetrics();
    let queries = 0;
    await loadOpenTelemetryApi(); // loaded: the instrumentation and its gauge are set up at once
    createInstrumentation(
      { meterProvider: provider },
      {
        dueJobs: () => {
          queries += 1;
          return countDueJobs(collection, new Date());
        },
      },
    );

    const first = await reader.points();
    expect(pointValue(first, 'monque.jobs.due', { 'messaging.destination.name': 'email' })).toBe(3);
    expect(pointValue(first, 'monque.jobs.due', { 'messaging.destination.name': 'sms' })).toBe(1);
    await monque.enqueue('email', { i: 4 });
    const second = await reader.points();
    expect(pointValue(second, 'monque.jobs.due', { 'messaging.destination.name': 'email' })).toBe(3);
    expect(queries).toBe(1);
  });

  it('a started instance reports its due jobs per name; a stopped one reports none', async () => {
    const db = await getDb();
    const { provider, reader } = inMemoryMetrics();
    await loadOpenTelemetryApi();
    const monque = createMonque(db, { telemetry: { meterProvider: provider } });
    await monque.enqueueMany([
      { name: 'report', data: { i: 1 } },
      { name: 'report', data: { i: 2 } },
    ]);
    const stopped = await reader.points();
    expect(pointValue(stopped, 'monque.jobs.due', { 'messaging.destination.name': 'report' })).toBeUndefined();
    monque.worker('other', () => {});
    await monque.start();
    const running = await reader.points();
    await monque.stop();
    expect(pointValue(running, 'monque.jobs.due', { 'messaging.destination.name': 'report' })).toBe(2);
  });
});
