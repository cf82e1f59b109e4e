/**
 * The `monque` CLI against the test backend: each command in process (tables and `--json`), the
 * exit codes, and the real bin spawned from source with MONGODB_URI set.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Job, Monque } from '@monque/core';
import { getTestUri } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/cli/program.js';
import { cliOn, type Run, runWith } from './helpers/cli.js';
import { freshMonque, insertJobs, useDashboardDb } from './helpers/jobs.js';

const getDb = useDashboardDb(import.meta.url);
const packageDir = fileURLToPath(new URL('..', import.meta.url));

let db: Db;
let monque: Monque;
let collection: string;

beforeAll(async () => {
  db = await getDb();
});

beforeEach(() => {
  monque = freshMonque(db);
  collection = (monque as unknown as { options: { collectionName: string } }).options.collectionName;
});

const cli = cliOn(
  () => db.databaseName,
  () => collection,
);

/** Runs without the connection arguments (for usage errors). */
const bare = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => runWith(args, { env });

const jobs = () => db.collection<Job>(collection);

describe('stats', () => {
  it('prints a table per name, and the same figures as JSON', async () => {
    await insertJobs(db, collection, [
      { name: 'email', status: 'pending', nextRunAt: new Date(Date.now() - 60_000) },
      { name: 'email', status: 'failed' },
      { name: 'report', status: 'completed' },
    ]);
    await monque.pause('report');
    const table = await cli('stats');
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^NAME\s+WAITING\s+PENDING\s+DUE\s+PROCESSING\s+COMPLETED\s+FAILED\s+CANCELLED\s+OLDEST DUE\s+PAUSED$/,
    );
    expect(lines.find((line) => line.startsWith('email'))).toMatch(/^email\s+0\s+1\s+1\s+0\s+0\s+1\s+0\s+\S+.*\s+no$/);
    expect(lines.find((line) => line.startsWith('report'))).toMatch(/^report\s+0\s+0\s+0\s+0\s+1\s+0\s+0\s+-\s+yes$/);
    expect(lines.at(-1)).toMatch(/^TOTAL\s+0\s+1\s+1\s+0\s+1\s+1\s+0/);
    const json = await cli('stats', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      total: { pending: 1, due: 1, failed: 1, completed: 1 },
      byName: { report: { completed: 1, oldestDueAt: null } },
      paused: ['report'],
    });
  });

  it('shows the pause of a name without jobs, with zero counts (and only that name with --name)', async () => {
    await insertJobs(db, collection, [{ name: 'has-jobs', status: 'pending' }]);
    await monque.pause('paused-without-jobs');
    const lines = (await cli('stats')).stdout.trim().split('\n');
    expect(lines.find((line) => line.startsWith('paused-without-jobs'))).toMatch(
      /^paused-without-jobs\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s+-\s+yes$/,
    );
    expect(lines.at(-1)).toMatch(/^TOTAL\s+0\s+1\s+/); // waiting, then pending
    const narrowed = (await cli('stats', '--name', 'has-jobs')).stdout;
    expect(narrowed).not.toContain('paused-without-jobs');
    // Nothing but a pause: still a table, not "no jobs".
    await db.collection(collection).deleteMany({});
    expect((await cli('stats')).stdout).toMatch(/^paused-without-jobs\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s+-\s+yes$/m);
  });
});

describe('list and show', () => {
  it('lists jobs matching name, status and data filters, with typed data values', async () => {
    await insertJobs(db, collection, [
      { name: 'invoice', status: 'failed', data: { customer: { id: 42 } }, failReason: 'card declined' },
      { name: 'invoice', status: 'failed', data: { customer: { id: '42' } } },
      { name: 'invoice', status: 'completed', data: { customer: { id: 42 } } },
    ]);
    const table = await cli('list', '--name', 'invoice', '--status', 'failed', '--data', 'customer.id=42');
    expect(table.code).toBe(0);
    const rows = table.stdout.trim().split('\n');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^ID\s+NAME\s+STATUS\s+NEXT RUN\s+ATTEMPTS\s+FAILS\s+CREATED\s+FAIL REASON$/);
    expect(rows[1]).toMatch(/^[0-9a-f]{24}\s+invoice\s+failed\s+.*card declined$/);

    const quoted = await cli('list', '--data', 'customer.id="42"', '--json');
    const page = JSON.parse(quoted.stdout) as { jobs: Array<{ data: unknown; _id: string }>; nextCursor: null };
    expect(page.jobs.map((job) => job.data)).toEqual([{ customer: { id: '42' } }]);
    expect(page.jobs[0]?._id).toMatch(/^[0-9a-f]{24}$/);
    expect(page.nextCursor).toBeNull();
  });

  it('pages with --limit and prints the cursor of the next page', async () => {
    await insertJobs(
      db,
      collection,
      Array.from({ length: 3 }, () => ({ status: 'pending' as const })),
    );
    const first = await cli('list', '--limit', '2');
    const cursor = /more: --cursor (\S+)/.exec(first.stdout)?.[1];
    expect(cursor).toBeDefined();
    const second = await cli('list', '--limit', '2', '--cursor', cursor as string, '--json');
    expect(JSON.parse(second.stdout).jobs).toHaveLength(1);
  });

  it('shows one job, and exits 1 for an unknown id', async () => {
    const [job] = await insertJobs(db, collection, [
      { name: 'report', status: 'completed', data: { month: '2025-05' }, result: { pages: 12 }, progress: 100 },
    ]);
    const id = job?._id.toHexString() as string;
    const shown = await cli('show', id);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^id:\\s+${id}$`, 'm'));
    expect(shown.stdout).toMatch(/^status:\s+completed$/m);
    expect(shown.stdout).toContain('"month": "2025-05"');
    expect(shown.stdout).toContain('"pages": 12');
    expect(JSON.parse((await cli('show', id, '--json')).stdout)).toMatchObject({ _id: id, result: { pages: 12 } });
    const missing = await cli('show', '0'.repeat(24));
    expect(missing.code).toBe(ExitCode.FAILURE);
    expect(missing.stderr).toContain('no job with id');
  });
});

describe('show, for workflows', () => {
  it('lists the dependencies and dependents of a job with their statuses, and its flow’s progress', async () => {
    const tree = await monque.flow({
      name: 'report',
      data: {},
      children: [
        { name: 'fetch', data: { part: 1 } },
        { name: 'fetch', data: { part: 2 } },
      ],
    });
    const [first] = tree.children.map((child) => child.job._id.toHexString());
    const root = tree.job._id.toHexString();
    const after = await monque.enqueue('notify', {}, { dependsOn: [tree.job._id] });
    const shown = await cli('show', root);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^status:\s+waiting$/m);
    expect(shown.stdout).toMatch(/^on dependency failure:\s+cancel$/m);
    expect(shown.stdout).toMatch(new RegExp(`^flow:\\s+${root} \\(0 of 3 completed\\)$`, 'm'));
    expect(shown.stdout).toMatch(/^dependencies \(2\):$/m);
    expect(shown.stdout).toMatch(new RegExp(`^  ${first}\\s+fetch\\s+pending$`, 'm'));
    expect(shown.stdout).toMatch(/^dependents \(1\):$/m);
    expect(shown.stdout).toMatch(new RegExp(`^  ${after._id.toHexString()}\\s+notify\\s+waiting$`, 'm'));
    const json = JSON.parse((await cli('show', root, '--json')).stdout);
    expect(json).toMatchObject({ _id: root, status: 'waiting', dependents: 1 });
    expect(json.dependsOn).toHaveLength(2);
    const leaf = await cli('show', first as string);
    expect(leaf.stdout).not.toMatch(/^dependencies/m);
    expect(leaf.stdout).toMatch(/^dependents \(1\):$/m);
  });
});

describe('retry, cancel, delete', () => {
  it('acts on one job by id, and on every job matching filters', async () => {
    const [one, two, three] = await insertJobs(db, collection, [
      { name: 'sync', status: 'failed', data: { customer: { id: 7 } } },
      { name: 'sync', status: 'failed', data: { customer: { id: 42 } } },
      { name: 'sync', status: 'failed', data: { customer: { id: 42 } } },
    ]);
    const single = await cli('retry', one?._id.toHexString() as string);
    expect(single).toMatchObject({ code: 0, stdout: `retried ${one?._id.toHexString()}: now pending\n` });
    const bulk = await cli('retry', '--data', 'customer.id=42', '--json');
    expect(JSON.parse(bulk.stdout)).toEqual({ count: 2 });
    expect(await jobs().countDocuments({ status: 'pending' })).toBe(3);

    const cancelled = await cli('cancel', '--name', 'sync', '--reason', 'customer left');
    expect(cancelled.stdout).toBe('cancelled 3 jobs\n');
    expect(await jobs().findOne({ _id: two?._id })).toMatchObject({
      status: 'cancelled',
      cancelReason: 'customer left',
    });

    const deleted = await cli('delete', three?._id.toHexString() as string);
    expect(deleted.stdout).toBe(`deleted ${three?._id.toHexString()}\n`);
    expect(await jobs().countDocuments({})).toBe(2);
  });

  it('exits 1 when the job state refuses the change, changing nothing', async () => {
    const [running] = await insertJobs(db, collection, [{ status: 'processing' }]);
    const refused = await cli('delete', running?._id.toHexString() as string);
    expect(refused.code).toBe(ExitCode.FAILURE);
    expect(refused.stderr).toContain('processing');
    expect(await jobs().countDocuments({})).toBe(1);
  });

  it('needs an id, filters or --all, and not an id with filters (exit 2)', async () => {
    await insertJobs(db, collection, [{ status: 'completed' }]);
    const nothing = await cli('delete');
    expect(nothing.code).toBe(ExitCode.USAGE);
    expect(nothing.stderr).toContain('--all');
    const both = await cli('delete', 'a'.repeat(24), '--name', 'x');
    expect(both.code).toBe(ExitCode.USAGE);
    expect(await jobs().countDocuments({})).toBe(1);
    expect((await cli('delete', '--all', '--yes')).stdout).toBe('deleted 1 job\n');
  });
});

describe('pause, resume, purge', () => {
  it('pauses and resumes a name, or every name', async () => {
    expect((await cli('pause', 'email')).stdout).toBe('paused email; paused now: email\n');
    expect(await monque.getPaused()).toEqual(['email']);
    expect((await cli('resume', 'email')).stdout).toBe('resumed email; paused now: nothing\n');
    expect(JSON.parse((await cli('pause', '--all', '--json')).stdout)).toEqual({ paused: 'all' });
    await cli('resume', '--all');
    expect(await monque.getPaused()).toEqual([]);
    expect((await cli('pause')).code).toBe(ExitCode.USAGE);
  });

  it('purges finished jobs older than the duration (and --dry-run only counts)', async () => {
    const now = new Date('2025-06-10T12:00:00Z');
    const days = (n: number) => new Date(now.getTime() - n * 86_400_000);
    await insertJobs(db, collection, [
      { status: 'completed', finishedAt: days(10) },
      { status: 'completed', finishedAt: days(8) },
      { status: 'completed', finishedAt: days(2) },
      { status: 'failed', finishedAt: days(30) },
      { status: 'pending' },
    ]);
    const dry = await cli('purge', '--status', 'completed', '--older-than', '7d', '--dry-run');
    expect(dry.stdout).toBe('would delete 2 completed jobs finished more than 7d ago\n');
    expect(await jobs().countDocuments({})).toBe(5);
    const purged = await cli('purge', '--status', 'completed', '--older-than', '7d', '--json');
    expect(JSON.parse(purged.stdout)).toEqual({ count: 2 });
    expect(await jobs().countDocuments({})).toBe(3);
    expect((await cli('purge', '--older-than', 'a week')).code).toBe(ExitCode.USAGE);
    expect((await cli('purge', '--older-than', '7d', '--status', 'pending')).code).toBe(ExitCode.USAGE);
    expect((await cli('purge', '--status', 'failed')).code).toBe(ExitCode.USAGE);
    expect(await jobs().countDocuments({})).toBe(3);
  });
});

describe('usage and connection errors', () => {
  it('exits 2 for unknown commands, options, bad ids and bad filters', async () => {
    for (const args of [
      ['frobnicate'],
      ['list', '--colour'],
      ['show', 'nope'],
      ['list', '--status', 'done'],
      ['list', '--data', 'customer.id'],
      ['list', '--data', 'customer.id={"$ne":null}'],
      ['list', '--data', '$where=1'],
      ['list', '--limit', 'ten'],
      ['list', '--created-after', 'last tuesday'],
    ]) {
      const run = await cli(...args);
      expect(run.code, args.join(' ')).toBe(ExitCode.USAGE);
      expect(run.stderr, args.join(' ')).not.toBe('');
    }
  });

  it('exits 2 without a URI or database, and 0 for --help and --version', async () => {
    const noUri = await bare(['stats']);
    expect(noUri.code).toBe(ExitCode.USAGE);
    expect(noUri.stderr).toContain('MONGODB_URI');
    const noDb = await bare(['stats'], { MONGODB_URI: 'mongodb://127.0.0.1:1/' });
    expect(noDb.code).toBe(ExitCode.USAGE);
    expect(noDb.stderr).toContain('--db');
    for (const command of ['stats', 'list', 'show', 'retry', 'cancel', 'delete', 'pause', 'resume', 'purge']) {
      const help = await bare([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toContain(`Usage: monque ${command}`);
      expect(help.stdout, command).toContain('--json');
      expect(help.stdout, command).toContain('--uri');
    }
    expect((await bare(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect((await bare(['--help'])).code).toBe(0);
  });

  it('exits 1 with a clear message when MongoDB cannot be reached', async () => {
    const run = await bare(['stats', '--uri', 'mongodb://127.0.0.1:1/app?serverSelectionTimeoutMS=300']);
    expect(run.code).toBe(ExitCode.FAILURE);
    expect(run.stderr).toMatch(/^error: cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:1\//);
    const inline = await bare(['stats', '--uri=mongodb://ops:pw@127.0.0.1:1/app?serverSelectionTimeoutMS=300']);
    expect(inline.code).toBe(ExitCode.FAILURE);
    expect(inline.stderr).toContain('cannot reach MongoDB at mongodb://***@127.0.0.1:1/');
    expect(inline.stderr).not.toContain('pw');
  });
});

describe('the monque bin', () => {
  function spawnBin(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['scripts/run-from-source.mjs', 'src/bin/monque.ts', ...args], {
        cwd: packageDir,
        env: { PATH: process.env.PATH, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  it('runs with MONGODB_URI from the environment and sets its exit code', async () => {
    await insertJobs(db, collection, [{ name: 'email', status: 'failed' }]);
    const env = { MONGODB_URI: getTestUri() };
    const ok = await spawnBin(['stats', '--db', db.databaseName, '--collection', collection, '--json'], env);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).total.failed).toBe(1);
    const usage = await spawnBin(['list', '--status', 'done', '--db', db.databaseName], env);
    expect(usage.code).toBe(2);
    const failure = await spawnBin(['show', '0'.repeat(24), '--db', db.databaseName, '--collection', collection], env);
    expect(failure.code).toBe(1);
  });
});
