/**
 * The standalone server behind `monque-dashboard`: bound to loopback, answering only loopback
 * Host names (DNS rebinding), and the bin itself: its startup line, its usage errors and a clean
 * exit on SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freshCollectionName, getTestUri } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isLoopback, startStandaloneServer } from '../src/standalone-server.js';
import { post, send } from './helpers/http.js';
import { insertJobs, useDashboardDb } from './helpers/jobs.js';

const getDb = useDashboardDb(import.meta.url);
const packageDir = fileURLToPath(new URL('..', import.meta.url));

let db: Db;
const stops: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  db = await getDb();
});

afterEach(async () => {
  while (stops.length > 0) await stops.pop()?.();
});

describe('startStandaloneServer', () => {
  it('listens on 127.0.0.1 and answers only loopback Host names', async () => {
    const collectionName = freshCollectionName(db, 'standalone');
    await insertJobs(db, collectionName, [{ name: 'email', status: 'failed' }]);
    const server = await startStandaloneServer({ db, collectionName, port: 0 });
    stops.push(() => server.close());
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const port = new URL(server.url).port;
    const stats = await send<{ total: { failed: number } }>(`${server.url}api/stats`);
    expect(stats.body.total.failed).toBe(1);
    expect((await send(`${server.url}api/stats`, { headers: { Host: `localhost:${port}` } })).status).toBe(200);
    const rebound = await post(
      `${server.url}api/queues/email/pause`,
      {},
      { Host: `attacker.example:${port}`, Origin: `http://attacker.example:${port}` },
    );
    expect(rebound.status).toBe(421);
    expect((await send(`${server.url}`, { headers: { Host: `attacker.example:${port}` } })).status).toBe(421);
  });

  it('answers the allowedHosts given too (the bin option --allowed-host)', async () => {
    const collectionName = freshCollectionName(db, 'standalone');
    const server = await startStandaloneServer({ db, collectionName, port: 0, allowedHosts: ['jobs.internal'] });
    stops.push(() => server.close());
    const port = new URL(server.url).port;
    expect((await send(`${server.url}api/stats`, { headers: { Host: `jobs.internal:${port}` } })).status).toBe(200);
    expect((await send(`${server.url}api/stats`, { headers: { Host: `other.internal:${port}` } })).status).toBe(421);
  });

  it('serves under a base path and read-only when asked', async () => {
    const collectionName = freshCollectionName(db, 'standalone');
    const server = await startStandaloneServer({ db, collectionName, port: 0, basePath: '/ops', readOnly: true });
    stops.push(() => server.close());
    expect(server.url).toMatch(/\/ops\/$/);
    expect((await send(`${server.url}api/config`)).body).toEqual({ readOnly: true });
    expect((await post(`${server.url}api/queues/email/pause`)).status).toBe(403);
  });

  it('knows the loopback names', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])
      expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '10.0.0.1', 'example.com', '::']) expect(isLoopback(host), host).toBe(false);
  });
});

describe('the monque-dashboard bin', () => {
  function start(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string } {
    const child = spawn(process.execPath, ['scripts/run-from-source.mjs', 'src/bin/monque-dashboard.ts', ...args], {
      cwd: packageDir,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    return { child, output: () => output };
  }

  const exitOf = (child: ChildProcess): Promise<number | null> =>
    new Promise((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });

  it('prints its URL, serves the dashboard and exits 0 on SIGTERM', async () => {
    const collectionName = freshCollectionName(db, 'bin');
    await insertJobs(db, collectionName, [{ name: 'email', status: 'pending' }]);
    const { child, output } = start(['--db', db.databaseName, '--collection', collectionName, '--port', '0'], {
      MONGODB_URI: getTestUri(),
    });
    stops.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const deadline = Date.now() + 30_000;
    let url: string | undefined;
    while (!url && Date.now() < deadline && child.exitCode === null) {
      url = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output())?.[1];
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(url, output()).toBeDefined();
    expect(output()).toContain(`(database ${db.databaseName}, collection ${collectionName}, read-write)`);
    const stats = await send<{ total: { pending: number } }>(`${url}api/stats`);
    expect(stats.body.total.pending).toBe(1);
    expect((await send(`${url}`)).text).toContain('<div id="app">');
    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
  });

  it('exits 2 on a usage error and 1 when MongoDB cannot be reached', async () => {
    const usage = start(['--port', 'eighty']);
    expect(await exitOf(usage.child)).toBe(2);
    const noUri = start(['--db', 'x']);
    expect(await exitOf(noUri.child)).toBe(2);
    expect(noUri.output()).toContain('MONGODB_URI');
    const unreachable = start([
      '--uri',
      'mongodb://ops:pa/ss-word@127.0.0.1:1/app?serverSelectionTimeoutMS=300',
      '--port',
      '0',
    ]);
    expect(await exitOf(unreachable.child)).not.toBe(0);
    expect(unreachable.output()).not.toContain('ss-word');
    const refused = start(['--uri', 'mongodb://127.0.0.1:1/app?serverSelectionTimeoutMS=300', '--port', '0']);
    expect(await exitOf(refused.child)).toBe(1);
    expect(refused.output()).toMatch(/^error: cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:1\/app/);
    const proxied = start([
      '--uri',
      'mongodb://127.0.0.1:1/app?proxyHost=127.0.0.1&proxyPort=2&proxyUsername=u&proxyPassword=TopSecretProxy&serverSelectionTimeoutMS=300',
      '--port',
      '0',
    ]);
    expect(await exitOf(proxied.child)).toBe(1);
    expect(proxied.output()).toContain('proxyPassword=***');
    expect(proxied.output()).not.toContain('TopSecret');
  });

  it('exits 2 with one clear line, no stack trace, for a connection string the driver cannot read', async () => {
    for (const uri of ['mongodb://127.0.0.1:99999/app', 'mongodb://127.0.0.1/app?tls=maybe']) {
      const run = start(['--uri', uri, '--port', '0']);
      expect(await exitOf(run.child), uri).toBe(2);
      expect(run.output(), uri).toMatch(/^error: --uri \S+ is not a valid connection string: [^\n]+\n$/);
    }
  });

  it('exits 2 with one line for a database name that is not URL encoding and for a bad --base-path, before connecting', async () => {
    const badDb = start(['--uri', 'mongodb://admin:S3cretPw@127.0.0.1:1/%zz', '--port', '0']);
    expect(await exitOf(badDb.child)).toBe(2);
    expect(badDb.output()).toMatch(/^error: [^\n]*database[^\n]*\n$/);
    expect(badDb.output()).not.toContain('S3cretPw');
    // An unreachable server: were it contacted, the run would fail with 1, and only after 300 ms.
    const unreachable = 'mongodb://127.0.0.1:1/app?serverSelectionTimeoutMS=300';
    for (const basePath of ['/a?b', '/x/../y', 'jobs#top']) {
      const run = start(['--uri', unreachable, '--port', '0', '--base-path', basePath]);
      expect(await exitOf(run.child), basePath).toBe(2);
      expect(run.output(), basePath).toMatch(/^error: --base-path: [^\n]+\n$/);
    }
  });
});
