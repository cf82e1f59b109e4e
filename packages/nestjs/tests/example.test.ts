/**
 * The example application (examples/), copied into a new directory as a user would, compiled with
 * tsc (as `nest build` does) into CommonJS against the built @monque/nestjs, and run with node:
 * a controller enqueues, the processors run the jobs, the health endpoint and the dashboard answer,
 * and SIGTERM drains a running job and exits 0 with nothing left `processing`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { getMongoClient, getTestUri } from '@monque/test-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from './helpers/app.js';
import { startProgram, usePrograms } from './helpers/child.js';

const run = promisify(execFile);
const repository = fileURLToPath(new URL('../../../', import.meta.url));
const exampleDir = fileURLToPath(new URL('../examples/', import.meta.url));
const DB_NAME = 'monque_t_nestjs_example';
let dir: string;

usePrograms();

beforeAll(async () => {
  if (!existsSync(join(repository, 'packages/nestjs/dist/index.cjs'))) {
    throw new Error(
      '@monque/nestjs is not built: run `npx turbo run build` first (the example uses the built package)',
    );
  }
  dir = await mkdtemp(join(tmpdir(), 'monque-nestjs-example-'));
  for (const entry of ['package.json', 'tsconfig.json', 'src'])
    await cp(join(exampleDir, entry), join(dir, entry), { recursive: true });
  // The repository's node_modules stands in for `npm install` (the workspace links to the built packages).
  await symlink(join(repository, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await run(process.execPath, [join(repository, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: dir,
  });
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await (await getMongoClient()).db(DB_NAME).collection('monque_jobs').deleteMany({});
});

function startExample() {
  const uri = new URL(getTestUri());
  uri.pathname = `/${DB_NAME}`;
  return startProgram(dir, ['dist/main.js'], { MONGODB_URI: uri.toString(), PORT: '0', NO_COLOR: '1' });
}

type JobView = { name: string; status: string; progress: unknown; result: unknown };

describe('the example application', () => {
  it('lists every package it imports in its package.json', async () => {
    const manifest = JSON.parse(await readFile(join(exampleDir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const imported = new Set<string>();
    for (const file of await readdir(join(exampleDir, 'src'))) {
      const source = await readFile(join(exampleDir, 'src', file), 'utf8');
      for (const [, specifier] of source.matchAll(/from '([^'.][^']*)'|import '([^'.][^']*)'/g)) {
        if (specifier && !specifier.startsWith('node:'))
          imported.add(
            specifier
              .split('/')
              .slice(0, specifier.startsWith('@') ? 2 : 1)
              .join('/'),
          );
      }
    }
    expect([...imported].filter((name) => !(name in manifest.dependencies))).toEqual([]);
  });

  it('runs: a signup enqueues the welcome e-mail, its processor sends it; health and dashboard answer', async () => {
    const app = startExample();
    const url = await app.waitFor(/listening on (http:\/\/\S+)/);
    expect(await request(`${url}/health`)).toMatchObject({
      status: 200,
      body: { status: 'ok', details: { monque: { status: 'up', role: 'worker', databaseReachable: true } } },
    });

    const { body } = await request<{ jobId: string }>(`${url}/signups`, { body: { email: 'ada@example.com' } });
    await expect
      .poll(async () => (await request<JobView>(`${url}/jobs/${body.jobId}`)).body, { timeout: 15_000 })
      .toMatchObject({
        name: 'send-email',
        status: 'completed',
        result: { messageId: expect.stringMatching(/^msg-/) },
      });
    expect(app.output()).toMatch(/\[MailerService\] mail 'Welcome!' to ada@example\.com/);
    expect((await request(`${url}/signups`, { body: {} })).status).toBe(400);
    expect(await request(`${url}/admin/jobs/api/stats`)).toMatchObject({
      status: 200,
      body: { total: expect.any(Object) },
    });

    app.process.kill('SIGINT');
    expect(await app.exited).toEqual({ code: 0, signal: null });
  });

  it('SIGTERM: a running report finishes and is stored, the process exits 0, nothing is left processing', async () => {
    const app = startExample();
    const url = await app.waitFor(/listening on (http:\/\/\S+)/);
    const { body } = await request<{ jobId: string }>(`${url}/reports`, { body: { customerId: 7, durationMs: 1_500 } });
    await app.waitFor(/report for customer 7 started/);

    app.process.kill('SIGTERM');
    expect(await app.exited).toEqual({ code: 0, signal: null });
    expect(app.output()).toMatch(/report for customer 7 done/);

    const jobs = (await getMongoClient()).db(DB_NAME).collection('monque_jobs');
    const { ObjectId } = await import('mongodb');
    expect(await jobs.findOne({ _id: new ObjectId(body.jobId) })).toMatchObject({
      status: 'completed',
      result: { rows: 42 },
      progress: { step: 10, of: 10 },
    });
    expect(await jobs.countDocuments({ status: 'processing' })).toBe(0);
  });
});
