/**
 * The Terminus health indicator in a real application: up while the worker runs, down (503) while
 * the database is cut off by the fault proxy, up again once it heals; a producer is judged by a ping.
 */
import { type FaultProxy, freshCollectionName, getTestUri, startFaultProxy } from '@monque/test-backend';
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { type Db, MongoClient } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  MonqueHealthIndicator,
  MonqueLifecycle,
  MonqueModule,
  type MonqueModuleOptions,
  Processor,
} from '../src/index.js';
import { bootApp, FAST, nextEvent, request, useTestApps } from './helpers/app.js';

const cleanups: (() => Promise<unknown>)[] = [];
// Registered before useTestApps' hook, so it runs after it: the application closes before its client.
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const getDb = useTestApps(import.meta.url);

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly monque: MonqueHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.monque.isHealthy('jobs', { timeout: 300 })]);
  }
}

@Processor('noop')
class NoopProcessor {
  process(): void {}
}

/** A database reached only through a fault proxy, with short timeouts. */
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

async function bootHealthApp(db: Db, extra: Partial<MonqueModuleOptions> = {}) {
  return bootApp({
    imports: [
      TerminusModule.forRoot({ logger: false }),
      MonqueModule.forRoot({ db, collectionName: freshCollectionName(db), ...FAST, ...extra }),
    ],
    controllers: [HealthController],
    providers: [NoopProcessor],
  });
}

type HealthBody = { status: string; info?: object; error?: object; details: Record<string, object> };

async function waitForStatus(url: string, status: number): Promise<HealthBody> {
  let last: { status: number; body: HealthBody } | undefined;
  await expect
    .poll(
      async () => {
        last = await request<HealthBody>(`${url}/health`);
        return last.status;
      },
      { timeout: 15_000, interval: 100 },
    )
    .toBe(status);
  return (last as { body: HealthBody }).body;
}

describe('MonqueHealthIndicator with @nestjs/terminus', () => {
  it('a worker: up, down with 503 during a partition, up again after it heals, and still runs jobs', async () => {
    const { proxy, db } = await proxiedDb();
    // A blackhole: packets vanish, commands hang (a poll gives up after operationTimeout).
    const { url, monque } = await bootHealthApp(db, { operationTimeout: 2_000 });

    expect(await request(`${url}/health`)).toEqual({
      status: 200,
      body: {
        status: 'ok',
        info: { jobs: { status: 'up', role: 'worker', databaseReachable: true } },
        error: {},
        details: { jobs: { status: 'up', role: 'worker', databaseReachable: true } },
      },
    });

    proxy.partition({ mode: 'blackhole' });
    const down = (await request<HealthBody>(`${url}/health`)).body;
    expect(down).toMatchObject({
      status: 'error',
      error: {
        jobs: {
          status: 'down',
          role: 'worker',
          databaseReachable: false,
          message: 'the database did not answer a ping within 300 ms',
        },
      },
    });

    proxy.heal();
    const up = await waitForStatus(url, 200);
    expect(up.details).toEqual({ jobs: { status: 'up', role: 'worker', databaseReachable: true } });
    const done = nextEvent(monque, 'job:complete');
    await monque.enqueue('noop', {});
    await done;
  });

  it('a producer (worker: false) is up while the database answers a ping, down while it does not', async () => {
    const { proxy, db } = await proxiedDb();
    const { url, app } = await bootHealthApp(db, { worker: false, operationTimeout: 2_000 });
    expect(app.get(MonqueLifecycle).role).toBe('producer');
    expect((await request<HealthBody>(`${url}/health`)).body.details).toEqual({
      jobs: { status: 'up', role: 'producer', databaseReachable: true },
    });
    proxy.partition({ mode: 'blackhole' });
    const started = Date.now();
    expect((await request<HealthBody>(`${url}/health`)).status).toBe(503);
    expect(Date.now() - started).toBeLessThan(3_000);
    proxy.heal();
    await waitForStatus(url, 200);
  });

  it('a worker whose scheduler stopped (as while shutting down) is down although the database answers', async () => {
    const { url, app, monque } = await bootHealthApp(await getDb());
    await monque.stop();
    const response = await request<HealthBody>(`${url}/health`);
    expect(response.status).toBe(503);
    expect(response.body.details).toEqual({
      jobs: { status: 'down', role: 'worker', databaseReachable: true, message: 'the scheduler is not running' },
    });
    expect(await app.get(MonqueHealthIndicator).check()).toEqual({
      role: 'worker',
      healthy: false,
      databaseReachable: true,
    });
  });

  it('rejects a timeout that is not a positive number', async () => {
    const { app } = await bootHealthApp(await getDb(), { worker: false });
    const indicator = app.get(MonqueHealthIndicator);
    await expect(indicator.check({ timeout: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(indicator.isHealthy('jobs', { timeout: Number.NaN })).rejects.toThrow(/options\.timeout/);
    expect(await indicator.isHealthy()).toEqual({
      monque: { status: 'up', role: 'producer', databaseReachable: true },
    });
  });
});
