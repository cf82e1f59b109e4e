import { type FaultProxy, getTestUri, startFaultProxy, waitUntil } from '@monque/test-backend';
import { inject } from '@tsed/di';
import { type Db, MongoClient } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, Job, MonqueHealth, MonqueModule } from '../src/index.js';
import { boot, monqueSettings, nextEvent, useTestApp } from './helpers/app.js';

const cleanups: (() => Promise<unknown>)[] = [];
// Registered before useTestApp's hook, so it runs after it: the app stops before its client closes.
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const getDb = useTestApp(import.meta.url);

@Job({ name: 'noop' })
class NoopJob {
  handle(): void {}
}

/** A client that reaches the backend only through a fault proxy, with short timeouts. */
async function proxiedDb(): Promise<{ proxy: FaultProxy; db: Db }> {
  const direct = await getDb();
  const proxy = await startFaultProxy(getTestUri());
  cleanups.push(() => proxy.close());
  const client = new MongoClient(proxy.uri, {
    serverSelectionTimeoutMS: 1_000,
    heartbeatFrequencyMS: 500,
    retryWrites: false,
    retryReads: false,
  });
  cleanups.push(() => client.close());
  await client.connect();
  return { proxy, db: client.db(direct.databaseName) };
}

/** A Db whose client points at a port nothing listens on (never connected). */
function unreachableDb(): Db {
  const client = new MongoClient('mongodb://127.0.0.1:1/?directConnection=true', { serverSelectionTimeoutMS: 5_000 });
  cleanups.push(() => client.close());
  return client.db('unreachable');
}

describe('MonqueHealth', () => {
  it('a producer whose database answers is healthy (isHealthy() alone says false there)', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db, { disableJobProcessing: true }) });
    expect(monque.isHealthy()).toBe(false);
    expect(await inject(MonqueHealth).check()).toEqual({
      role: 'producer',
      healthy: true,
      databaseReachable: true,
    });
  });

  it('a producer whose database cannot be reached is unhealthy, within the timeout', async () => {
    const monque = await boot({
      monque: { connection: unreachableDb(), disableJobProcessing: true, pollInterval: 50 },
    });
    expect(monque.isRunning).toBe(false);
    const started = Date.now();
    const report = await inject(MonqueHealth).check({ timeout: 300 });
    expect(report).toEqual({ role: 'producer', healthy: false, databaseReachable: false });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a producer cut off and reconnected: unhealthy while partitioned, healthy again once healed', async () => {
    const { proxy, db } = await proxiedDb();
    await boot({ monque: monqueSettings(db, { disableJobProcessing: true }) });
    const health = inject(MonqueHealth);
    expect((await health.check()).healthy).toBe(true);

    proxy.partition({ mode: 'blackhole' });
    const started = Date.now();
    expect(await health.check({ timeout: 300 })).toEqual({
      role: 'producer',
      healthy: false,
      databaseReachable: false,
    });
    expect(Date.now() - started).toBeLessThan(1_500);

    proxy.heal();
    await waitUntil(async () => (await health.check({ timeout: 300 })).healthy, 'the producer to be healthy again', {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
  });

  it('a worker: healthy while its scheduler runs, not when the database is cut off, healthy again after', async () => {
    const { proxy, db } = await proxiedDb();
    const monque = await boot({ monque: monqueSettings(db) });
    const health = inject(MonqueHealth);
    expect(await health.check()).toEqual({ role: 'worker', healthy: true, databaseReachable: true });

    proxy.partition({ mode: 'reset' });
    await waitUntil(() => !monque.isHealthy(), 'the worker to notice the partition', { timeoutMs: 10_000 });
    expect(await health.check({ timeout: 300 })).toEqual({
      role: 'worker',
      healthy: false,
      databaseReachable: false,
    });

    proxy.heal();
    await waitUntil(() => monque.isHealthy(), 'the worker to recover', { timeoutMs: 10_000 });
    expect(await health.check()).toEqual({ role: 'worker', healthy: true, databaseReachable: true });
    // And it still processes jobs.
    const done = nextEvent(monque, 'job:complete');
    await monque.enqueue('noop', {});
    await done;
    expect(NoopJob).toBeTypeOf('function');
  });

  it('a worker whose scheduler stopped (as during shutdown) is unhealthy although the database answers', async () => {
    const db = await getDb();
    const monque = await boot({ monque: monqueSettings(db) });
    await monque.stop();
    expect(await inject(MonqueHealth).check()).toEqual({ role: 'worker', healthy: false, databaseReachable: true });
  });

  it('MonqueModule.stop() makes the process a producer, start() a worker again', async () => {
    const db = await getDb();
    await boot({ monque: monqueSettings(db) });
    const module = inject(MonqueModule);
    await module.stop();
    expect(module.role).toBe('producer');
    expect(await inject(MonqueHealth).check()).toEqual({ role: 'producer', healthy: true, databaseReachable: true });
    await module.start();
    expect(module.role).toBe('worker');
    expect(await inject(MonqueHealth).check()).toEqual({ role: 'worker', healthy: true, databaseReachable: true });
  });

  it('rejects a timeout that is not a positive number', async () => {
    const db = await getDb();
    await boot({ monque: monqueSettings(db, { disableJobProcessing: true }) });
    await expect(inject(MonqueHealth).check({ timeout: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(inject(MonqueHealth).check({ timeout: Number.NaN })).rejects.toThrow(/options\.timeout/);
  });
});
