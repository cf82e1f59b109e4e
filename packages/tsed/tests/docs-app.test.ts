/**
 * The Ts.ED guide's application (packages/docs/snippets/tsed), run as written: a real Express
 * server on a free port, its health and admin endpoints over HTTP, and its SIGTERM shutdown order.
 */
import { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getMongoClient, getTestUri } from '@monque/test-backend';
import { inject } from '@tsed/di';
import type { PlatformBuilder } from '@tsed/platform-http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Job, JobStatus, Monque } from '../src/index.js';
import { deferred } from './helpers/app.js';
import { operationsApi } from './helpers/core-capabilities.js';

const DB_NAME = 'monque_t_tsed_docs_app';
const snippet = (file: string): string => new URL(`../../docs/snippets/tsed/${file}`, import.meta.url).href;

interface MainModule {
  main(): Promise<PlatformBuilder>;
  shutdown(platform: PlatformBuilder): Promise<void>;
}
interface SignupModule {
  SignupService: new () => { signUp(email: string): Promise<void> };
}

/** A job of the test's own: a slow one, to stop the application while it runs. */
@Job({ name: 'docs-test-job' })
class DocsTestJob {
  static release = deferred();
  static finished = false;
  async handle(): Promise<void> {
    await DocsTestJob.release.promise;
    DocsTestJob.finished = true;
  }
}

let app: MainModule;
let platform: PlatformBuilder | undefined;
let baseUrl: string;
const signalListeners = new Map<NodeJS.Signals, Set<unknown>>();

beforeAll(async () => {
  const uri = new URL(getTestUri());
  uri.pathname = `/${DB_NAME}`;
  process.env.MONGODB_URI = uri.toString();
  process.env.PORT = '0';
  for (const signal of ['SIGTERM', 'SIGINT'] as const) signalListeners.set(signal, new Set(process.listeners(signal)));
  app = (await import(/* @vite-ignore */ snippet('main.ts'))) as MainModule;
  platform = await app.main();
  const address = inject(HttpServer).address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${address.port}`;
});

afterEach(async () => {
  await (await getMongoClient())
    .db(DB_NAME)
    .collection('monque_jobs')
    .deleteMany({ name: { $in: ['docs-test-job', 'partner-sync'] } });
});

afterAll(async () => {
  // The test's process must not exit on a signal: take back what main() registered.
  for (const [signal, before] of signalListeners) {
    for (const listener of process.listeners(signal)) {
      if (!before.has(listener)) process.off(signal, listener as () => void);
    }
  }
  if (platform) await app.shutdown(platform).catch(() => {});
  await (await getMongoClient()).db(DB_NAME).collection('monque_jobs').deleteMany({});
  delete process.env.MONGODB_URI;
  delete process.env.PORT;
});

async function http(method: 'GET' | 'POST', path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl}${path}`, { method });
  return { status: response.status, body: await response.json() };
}

describe("the Ts.ED guide's application", () => {
  it('starts, registers its signal handlers, and its health endpoint reports a healthy worker', async () => {
    expect(process.listeners('SIGTERM').length).toBeGreaterThan(signalListeners.get('SIGTERM')?.size ?? 0);
    expect(await http('GET', '/health')).toEqual({
      status: 200,
      body: { role: 'worker', healthy: true, databaseReachable: true },
    });
  });

  it('SignupService enqueues send-email through the JobDispatcher; the job stores its result', async () => {
    const { SignupService } = (await import(/* @vite-ignore */ snippet('signup-service.ts'))) as SignupModule;
    const monque = inject(Monque);
    const completed = new Promise<unknown>((resolve) => {
      monque.on('job:complete', ({ job, result }) => {
        if (job.name === 'send-email') resolve(result);
      });
    });
    await inject(SignupService).signUp('ada@example.com');
    const jobs = (await getMongoClient()).db(DB_NAME).collection('monque_jobs');
    expect(await jobs.findOne({ name: 'send-email', uniqueKey: 'welcome:ada@example.com' })).toMatchObject({
      data: { to: 'ada@example.com', subject: 'Welcome!' },
    });
    await completed;
    await jobs.deleteMany({ name: 'send-email' });
  });

  it('the admin endpoints list a failed job, retry it, reject a bad id, and pause and resume a queue', async (ctx) => {
    const capability = await operationsApi((await getMongoClient()).db(DB_NAME));
    if (capability !== true) ctx.skip(capability);
    // Another instance on the same collection runs 'partner-sync' (the application has no worker
    // for it) and gives up after one failure: a failed job for the operator to see.
    const other = new Monque((await getMongoClient()).db(DB_NAME), { maxRetries: 1, pollInterval: 20 });
    other.worker('partner-sync', () => {
      throw new Error('the partner API answered 502');
    });
    const failed = new Promise<void>((resolve) => other.once('job:fail', () => resolve()));
    await other.start();
    const job = await inject(Monque).enqueue('partner-sync', { partner: 'acme' });
    await failed;
    await other.stop();
    const id = job._id.toHexString();

    const list = await http('GET', '/admin/jobs/failed?name=partner-sync');
    expect(list).toMatchObject({
      status: 200,
      body: { jobs: [{ id, name: 'partner-sync', failReason: 'the partner API answered 502', failCount: 1 }] },
    });
    expect(await http('POST', `/admin/jobs/${id}/retry`)).toEqual({ status: 200, body: { id, status: 'pending' } });
    // A pending job cannot be retried: 409; an id that is no id: 400; an unknown one: 404.
    expect((await http('POST', `/admin/jobs/${id}/retry`)).status).toBe(409);
    expect((await http('POST', '/admin/jobs/not-an-id/retry')).status).toBe(400);
    expect((await http('POST', '/admin/jobs/0123456789abcdef01234567/retry')).status).toBe(404);

    expect(await http('POST', '/admin/jobs/queues/partner-sync/pause')).toEqual({
      status: 200,
      body: { paused: ['partner-sync'] },
    });
    expect(await http('POST', '/admin/jobs/queues/partner-sync/resume')).toEqual({
      status: 200,
      body: { paused: [] },
    });
  });

  it('shutdown() lets a running job finish and store its outcome, then closes the connection', async () => {
    const monque = inject(Monque);
    const started = new Promise<void>((resolve) => {
      monque.on('job:start', (job) => {
        if (job.name === 'docs-test-job') resolve();
      });
    });
    const job = await monque.enqueue('docs-test-job', {});
    await started;
    setTimeout(() => DocsTestJob.release.resolve(), 300);
    const stopping = app.shutdown(platform as PlatformBuilder);
    platform = undefined;
    await stopping;
    expect(DocsTestJob.finished).toBe(true);
    const stored = await (await getMongoClient()).db(DB_NAME).collection('monque_jobs').findOne({ _id: job._id });
    expect(stored?.status).toBe(JobStatus.COMPLETED);
    expect(monque.isRunning).toBe(false);
    // The application's client is closed: the HTTP server is gone and so is its database access.
    await expect(fetch(`${baseUrl}/health`)).rejects.toThrow();
    const { client } = (await import(/* @vite-ignore */ snippet('server-native.ts'))) as {
      client: { db(): { command(c: object): Promise<unknown> } };
    };
    await expect(client.db().command({ ping: 1 })).rejects.toThrow();
  });
});
