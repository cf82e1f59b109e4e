/**
 * The dashboard mounted in a Nest application, as the guide shows: `app.use(path, createDashboard(...))`
 * with the application's own `Monque`, on the Express platform and on the Fastify platform
 * (middie). Requests go to the loopback address (the dashboard answers loopback Host names without
 * an `authorize` hook or `allowedHosts`).
 */
import type { AddressInfo } from 'node:net';
import { createDashboard } from '@monque/dashboard';
import { freshCollectionName } from '@monque/test-backend';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { Monque, MonqueModule, Processor } from '../src/index.js';
import { FAST, nextEvent, request, useTestApps } from './helpers/app.js';

const getDb = useTestApps(import.meta.url);
const apps: INestApplication[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

@Processor('flaky')
class FlakyProcessor {
  process(): never {
    throw new Error('the partner API answered 502');
  }
}

@Controller()
class AppController {
  @Get('hello')
  hello(): { hello: string } {
    return { hello: 'world' };
  }
}

type Stats = { total: { failed: number; pending: number } };

async function moduleFor() {
  const db = await getDb();
  return Test.createTestingModule({
    imports: [MonqueModule.forRoot({ db, collectionName: freshCollectionName(db), ...FAST, maxRetries: 1 })],
    controllers: [AppController],
    providers: [FlakyProcessor],
  }).compile();
}

/** A failed job, then the checks every mount must pass: page, assets, API (read and change), the app's own routes. */
async function checkMounted(app: INestApplication, base: string): Promise<void> {
  const monque = app.get<Monque>(Monque);
  const failed = nextEvent(monque, 'job:fail');
  const job = await monque.enqueue('flaky', {});
  await failed;

  const page = await fetch(`${base}/admin/jobs/`);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('<div id="app">');
  const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
  expect((await fetch(`${base}/admin/jobs/${script}`)).status).toBe(200);

  const stats = await request<Stats>(`${base}/admin/jobs/api/stats`);
  expect(stats).toMatchObject({ status: 200, body: { total: { failed: 1 } } });
  // Pause the queue first, so the retried job stays pending where the test can see it.
  expect((await request(`${base}/admin/jobs/api/queues/flaky/pause`, { body: {} })).status).toBe(200);
  const retried = await request(`${base}/admin/jobs/api/jobs/${job._id.toHexString()}/retry`, { body: {} });
  expect(retried.status).toBe(200);
  expect((await monque.getJob(job._id))?.status).toBe('pending');
  expect(await request(`${base}/hello`)).toEqual({ status: 200, body: { hello: 'world' } });
}

describe('the dashboard in a Nest application', () => {
  it('Express platform: app.use(path, createDashboard({ monque: app.get(Monque) }))', async () => {
    const app = (await moduleFor()).createNestApplication({ logger: false });
    apps.push(app);
    app.use('/admin/jobs', createDashboard({ monque: app.get(Monque) }));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    await checkMounted(app, `http://127.0.0.1:${port}`);
  });

  it('Fastify platform: the same app.use(), through middie', async () => {
    const app = (await moduleFor()).createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger: false,
    });
    apps.push(app);
    app.use('/admin/jobs', createDashboard({ monque: app.get(Monque) }));
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    await checkMounted(app, `http://127.0.0.1:${port}`);
  });
});
