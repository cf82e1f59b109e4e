/**
 * The built package, ESM and CommonJS outputs, in an application without `@opentelemetry/api`
 * (it must run, silently untraced) and in one with it and an SDK tracer provider (spans, the run
 * linked to the enqueue). The build is tsdown's, without declarations, into a temporary folder;
 * the application's `node_modules` holds that build as `@monque/core` and links to this repo's
 * `mongodb`, `croner` and, in the second one, the OpenTelemetry packages.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freshCollectionName, getTestUri } from '@monque/test-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDb } from '../helpers/monque.js';

const run = promisify(execFile);
const getDb = useTestDb(import.meta.url);
const coreDir = fileURLToPath(new URL('../..', import.meta.url));
const consumers = fileURLToPath(new URL('./packed', import.meta.url));
const resolveFromCore = createRequire(join(coreDir, 'package.json'));

/** The folder of an installed package, where Node would look for it from packages/core. */
function packageDir(name: string): string {
  const found = (resolveFromCore.resolve.paths(name) ?? [])
    .map((folder) => join(folder, name))
    .find((folder) => existsSync(join(folder, 'package.json')));
  if (!found) throw new Error(`${name} is not installed`);
  return found;
}

let root: string;

async function makeApp(name: string, linked: readonly string[]): Promise<string> {
  const app = join(root, name);
  const core = join(app, 'node_modules', '@monque', 'core');
  await mkdir(core, { recursive: true });
  await cp(join(root, 'dist'), join(core, 'dist'), { recursive: true });
  await writeFile(join(core, 'package.json'), await readFile(join(coreDir, 'package.json')));
  for (const dependency of ['mongodb', 'croner', ...linked]) {
    const target = join(app, 'node_modules', dependency);
    await mkdir(dirname(target), { recursive: true });
    await symlink(packageDir(dependency), target, 'dir');
  }
  await cp(consumers, app, { recursive: true });
  await writeFile(join(app, 'package.json'), JSON.stringify({ name, private: true }));
  return app;
}

interface Outcome {
  result: string;
  trace: { traceparent?: string } | null;
  spans: { name: string; links: number; parent: string | null; spanId: string }[];
}

async function runConsumer(app: string, script: string, sdk: boolean): Promise<Outcome> {
  const db = await getDb();
  const { stdout } = await run(process.execPath, [join(app, script), ...(sdk ? ['sdk'] : [])], {
    cwd: app,
    timeout: 30_000,
    env: {
      ...process.env,
      MONGODB_URI: getTestUri(),
      MONQUE_DB: db.databaseName,
      MONQUE_COLLECTION: freshCollectionName(db),
    },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Outcome;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'monque-packed-'));
  await run('npx', ['tsdown', '--no-dts', '--out-dir', join(root, 'dist'), '--logLevel', 'error'], {
    cwd: coreDir,
    timeout: 120_000,
  });
}, 150_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the built package', () => {
  it.each(['consumer.mjs', 'consumer.cjs'])(
    'runs without @opentelemetry/api installed (%s): no spans, no trace context stored',
    async (script) => {
      const app = await makeApp(`without-otel-${script.replace('.', '-')}`, []);
      await expect(
        run(process.execPath, ['-e', "require.resolve('@opentelemetry/api')"], { cwd: app }),
      ).rejects.toThrow(/Cannot find module '@opentelemetry\/api'/);
      const outcome = await runConsumer(app, script, false);
      expect(outcome).toEqual({ result: expect.stringMatching(/^hi (esm|cjs)$/), trace: null, spans: [] });
    },
  );

  it.each(['consumer.mjs', 'consumer.cjs'])(
    'traces with @opentelemetry/api and an SDK provider (%s): the run is a child of the enqueue',
    async (script) => {
      const app = await makeApp(`with-otel-${script.replace('.', '-')}`, [
        '@opentelemetry/api',
        '@opentelemetry/sdk-trace-base',
      ]);
      const outcome = await runConsumer(app, script, true);
      const [enqueue, processSpan] = outcome.spans;
      expect(outcome.spans.map((span) => span.name)).toEqual(['enqueue hello', 'process hello']);
      expect(outcome.trace?.traceparent).toContain(enqueue?.spanId);
      expect(processSpan).toMatchObject({ parent: enqueue?.spanId, links: 1 });

      const untraced = await runConsumer(app, script, false);
      expect(untraced).toMatchObject({ trace: null, spans: [] });
    },
  );
});
