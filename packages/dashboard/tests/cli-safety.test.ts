/**
 * The `monque` CLI on a bad day: job names, data and fail reasons holding terminal escape sequences
 * are shown escaped in every human format (and exact with --json); credentials never printed,
 * whatever characters they hold; bad --limit and --cursor values are usage errors found before
 * connecting; errors are JSON with --json; `delete --all` asks first (or wants --yes); `show`
 * prints the attempt history.
 */
import type { Job, JobErrorRecord, Monque } from '@monque/core';
import type { Db } from 'mongodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/cli/program.js';
import { visible } from '../src/cli/visible.js';
import { cliOn, runWith } from './helpers/cli.js';
import { freshMonque, insertJobs, useDashboardDb } from './helpers/jobs.js';

const getDb = useDashboardDb(import.meta.url);

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

/** An unreachable server that answers nothing for 300 ms: a run that connects fails slowly with exit 1. */
const UNREACHABLE = 'mongodb://127.0.0.1:1/app?serverSelectionTimeoutMS=300';

// ESC [ 2 J clears the screen; OSC 0 sets the window title; CSI (8-bit) and a right-to-left override.
const HOSTILE = 'evil\u001b[2J\u001b]0;owned\u0007\u009b31m\u202etxt.exe\rdone';

/** No byte a terminal would act on: no C0 control but newline, no DEL, no C1 control, no bidi override. */
function expectTerminalSafe(text: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
}

describe('text from the database on a terminal', () => {
  it('is escaped visibly in list, show and stats, and exact with --json', async () => {
    const [job] = await insertJobs(db, collection, [
      { name: HOSTILE, status: 'failed', data: { note: HOSTILE }, failReason: HOSTILE },
    ]);
    const id = job?._id.toHexString() as string;
    for (const args of [['list'], ['show', id], ['stats']]) {
      const run = await cli(...args);
      expect(run.code, args[0]).toBe(0);
      expectTerminalSafe(run.stdout);
      // Tables cut long cells; the escapes are shown either way.
      expect(run.stdout, args[0]).toContain('evil\\x1b[2J\\x1b]0;owned\\x07');
    }
    expect((await cli('show', id)).stdout).toContain('evil\\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\u202etxt.exe\\rdone');
    const shown = JSON.parse((await cli('show', id, '--json')).stdout) as Job;
    expect(shown.name).toBe(HOSTILE);
    expect(shown.failReason).toBe(HOSTILE);
    expect(shown.data).toEqual({ note: HOSTILE });
    const listed = JSON.parse((await cli('list', '--json')).stdout) as { jobs: Job[] };
    expect(listed.jobs[0]?.name).toBe(HOSTILE);
  });

  it('escapes line breaks in one-line fields, so a fail reason cannot fake another field', async () => {
    const [job] = await insertJobs(db, collection, [
      { name: 'sync', status: 'failed', failReason: 'oops\nstatus:       completed' },
    ]);
    const shown = await cli('show', job?._id.toHexString() as string);
    expect(shown.stdout).toMatch(/^fail reason:\s+oops\\nstatus: {7}completed$/m);
    expect(shown.stdout.match(/^status:/gm)).toHaveLength(1);
  });

  it('escapes an error message built from a job name', async () => {
    const [running] = await insertJobs(db, collection, [{ name: HOSTILE, status: 'processing' }]);
    const refused = await cli('delete', running?._id.toHexString() as string);
    expect(refused.code).toBe(ExitCode.FAILURE);
    expectTerminalSafe(refused.stderr);
  });

  it('escapes the paused names pause and resume print (read from the database)', async () => {
    // Anyone who can pause a name (through the dashboard API, say) chooses what it holds.
    await monque.pause(HOSTILE);
    for (const verb of ['pause', 'resume']) {
      const run = await cli(verb, 'send-email');
      expect(run.code, verb).toBe(0);
      expectTerminalSafe(run.stdout);
      expect(run.stdout, verb).toContain('evil\\x1b[2J\\x1b]0;owned\\x07');
    }
    const typed = await cli('pause', 'name\u001b[2J');
    expectTerminalSafe(typed.stdout);
    const json = JSON.parse((await cli('resume', 'send-email', '--json')).stdout) as { paused: string[] };
    expect(json.paused).toContain(HOSTILE);
  });

  it('escapes fields only a raw database write sets (a status, an attempt number) too', async () => {
    const at = new Date('2025-06-10T11:00:00Z');
    const [job] = await insertJobs(db, collection, [
      {
        name: 'raw',
        status: `failed${HOSTILE}` as never,
        errors: [{ attempt: `1${HOSTILE}` as never, at, message: 'm', instanceId: 'i', durationMs: 5 }],
      },
    ]);
    for (const args of [['list'], ['show', job?._id.toHexString() as string]]) {
      const run = await cli(...args);
      expect(run.code, args[0]).toBe(0);
      expectTerminalSafe(run.stdout);
    }
  });

  it('visible(): escapes each unsafe character, keeps line feeds and tabs in blocks', () => {
    expect(visible('a\u0000b\u001bc\u007fd\u0085e\u2028f\u200bg\ufeffh')).toBe(
      'a\\x00b\\x1bc\\x7fd\\x85e\\u2028f\\u200bg\\ufeffh',
    );
    expect(visible('one\ntwo\tthree')).toBe('one\\ntwo\\tthree');
    expect(visible('one\ntwo\tthree\r', { multiline: true })).toBe('one\ntwo\tthree\\r');
    expect(visible('plain text, ünïcödé, 日本語, emoji 😀')).toBe('plain text, ünïcödé, 日本語, emoji 😀');
  });
});

describe('credentials in a connection error', () => {
  it('are masked whatever the password holds: an unescaped /, @, ? or :', async () => {
    for (const password of ['pa/ss-word', 'p@ss-word', 'pa?ss=word', 'pa:ss-word', 'pa%2Fss-word']) {
      const uri = `mongodb://ops:${password}@127.0.0.1:1/app?serverSelectionTimeoutMS=300`;
      const run = await runWith(['stats', '--uri', uri]);
      expect(run.code, password).not.toBe(0);
      expect(run.stderr, password).not.toContain(password);
      expect(run.stderr, password).not.toContain(decodeURIComponent(password));
      expect(run.stderr, password).not.toContain('ss-word');
      expect(run.stderr, password).toMatch(/^error: /);
    }
  });

  it('are masked in the options of the URI too: any password, secret or token', async () => {
    for (const options of [
      'proxyHost=127.0.0.1&proxyPort=2&proxyUsername=u&proxyPassword=TopSecretProxy',
      'tls=true&tlsCertificateKeyFilePassword=TopSecretKey',
      'authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:TopSecretToken',
      'proxyPassword=Top%2FSecret%3Fencoded',
    ]) {
      const uri = `mongodb://127.0.0.1:1/app?${options}&serverSelectionTimeoutMS=300`;
      for (const run of [
        await runWith(['stats', '--uri', uri]),
        await runWith(['stats', '--json'], { env: { MONGODB_URI: uri } }),
      ]) {
        expect(run.code, options).not.toBe(0);
        expect(run.stderr, options).not.toMatch(/TopSecret|Top\/Secret|Top%2FSecret/);
      }
    }
  });

  it('a URI the driver cannot read is a usage error (exit 2) in one line, from --uri or MONGODB_URI', async () => {
    for (const uri of ['mongodb://127.0.0.1:99999/app', 'mongodb://127.0.0.1/app?tls=maybe']) {
      const run = await runWith(['stats', '--uri', uri]);
      expect(run.code, uri).toBe(ExitCode.USAGE);
      expect(run.stderr, uri).toMatch(
        /^error: --uri .* is not a valid connection string: .+\n\(add --help for usage\)\n$/,
      );
      const fromEnv = await runWith(['stats'], { env: { MONGODB_URI: uri } });
      expect(fromEnv.code, uri).toBe(ExitCode.USAGE);
    }
  });
});

describe('list --limit and --cursor', () => {
  it('refuses a limit outside 1..1000 and a cursor that is not one before connecting (exit 2)', async () => {
    for (const args of [
      ['--limit', '0'],
      ['--limit', '5000'],
      ['--limit', '-1'],
      ['--cursor', 'not a cursor!'],
      ['--cursor', Buffer.from('"text"').toString('base64url')],
    ]) {
      const started = Date.now();
      const run = await runWith(['list', ...args, '--uri', UNREACHABLE]);
      expect(run.code, args.join(' ')).toBe(ExitCode.USAGE);
      expect(run.stderr, args.join(' ')).toContain(args[0]);
      expect(run.stderr, args.join(' ')).not.toContain('cannot reach');
      // Not a connection attempt: the unreachable server would take its 300 ms.
      expect(Date.now() - started, args.join(' ')).toBeLessThan(300);
    }
  });

  it('a cursor Monque refuses once connected is a usage error too', async () => {
    await insertJobs(db, collection, [{ status: 'pending' }]);
    const forged = Buffer.from(JSON.stringify({ v: 9, after: 'x' })).toString('base64url');
    const run = await cli('list', '--cursor', forged);
    expect(run.code).toBe(ExitCode.USAGE);
    expect(run.stderr).toContain('page.cursor');
  });
});

describe('--json errors', () => {
  it('are one JSON object on stderr, with the message and exit code, for every kind of error', async () => {
    const [running] = await insertJobs(db, collection, [{ name: 'x', status: 'processing' }]);
    const cases: Array<[string[], number]> = [
      [['list', '--json', '--colour'], ExitCode.USAGE],
      [['list', '--json', '--status', 'done'], ExitCode.USAGE],
      [['show', '--json', '0'.repeat(24)], ExitCode.FAILURE],
      [['delete', '--json', running?._id.toHexString() as string], ExitCode.FAILURE],
    ];
    for (const [args, code] of cases) {
      const run = await cli(...args);
      expect(run.code, args.join(' ')).toBe(code);
      expect(run.stdout, args.join(' ')).toBe('');
      const error = JSON.parse(run.stderr) as { error: string; exitCode: number; code?: string };
      expect(error.exitCode, args.join(' ')).toBe(code);
      expect(error.error, args.join(' ')).toEqual(expect.any(String));
    }
    const refused = JSON.parse((await cli('delete', '--json', running?._id.toHexString() as string)).stderr);
    expect(refused.code).toBe('MONQUE_JOB_STATE');
    const unreachable = await runWith(['stats', '--json', '--uri', UNREACHABLE]);
    expect(JSON.parse(unreachable.stderr)).toMatchObject({ exitCode: 1, error: expect.stringMatching(/cannot reach/) });
  });
});

describe('times on the command line', () => {
  it('are ISO 8601 or a duration with its unit: anything else is a usage error, and nothing changes', async () => {
    await insertJobs(db, collection, [
      { status: 'completed', createdAt: new Date('2025-06-09T12:00:00Z') },
      { status: 'completed', createdAt: new Date('2025-01-01T00:00:00Z') },
    ]);
    // `7` (a forgotten unit: meant 7d) was read as 2001-07-01 and deleted every job.
    const typo = await cli('delete', '--created-after', '7');
    expect(typo.code).toBe(ExitCode.USAGE);
    expect(typo.stderr).toContain('7d');
    for (const text of [
      '12',
      '2025',
      '01/12/2025',
      '2025-02-30',
      '2025-13-01',
      '2025-06-01T25:00:00Z',
      'June 1, 2025',
    ]) {
      const run = await cli('delete', '--created-before', text);
      expect(run.code, text).toBe(ExitCode.USAGE);
      expect(run.stderr, text).toMatch(/ISO 8601/);
    }
    // A time of day without a zone would depend on the machine's zone.
    const zoneless = await cli('list', '--created-after', '2025-06-01T12:00');
    expect(zoneless.code).toBe(ExitCode.USAGE);
    expect(zoneless.stderr).toMatch(/zone/);
    expect(await monque.countJobs()).toBe(2);
    for (const [text, count] of [
      ['1d', 1],
      ['2025-06-01', 1],
      ['2025-06-09T11:00:00Z', 1],
      ['2025-06-09T13:30:00+02:00', 1],
      ['2025-06-09T12:00:00.001Z', 0],
    ] as const) {
      const run = await cli('list', '--created-after', text, '--json');
      expect(run.code, text).toBe(0);
      expect(JSON.parse(run.stdout).jobs, text).toHaveLength(count);
    }
  });
});

describe('delete --all and cancel --all', () => {
  it('need --yes without a terminal to ask (exit 2), and change nothing', async () => {
    await insertJobs(db, collection, [{ status: 'completed' }, { status: 'pending' }]);
    for (const action of ['delete', 'cancel']) {
      const run = await cli(action, '--all');
      expect(run.code, action).toBe(ExitCode.USAGE);
      expect(run.stderr, action).toContain('--yes');
    }
    expect(await db.collection(collection).countDocuments({ status: { $ne: 'cancelled' } })).toBe(2);
    expect((await cli('delete', '--all', '--yes')).stdout).toBe('deleted 2 jobs\n');
  });

  it('ask on a terminal, saying how many jobs, and do nothing unless the answer is yes', async () => {
    await insertJobs(db, collection, [{ status: 'completed' }, { status: 'failed' }, { status: 'processing' }]);
    const questions: string[] = [];
    const declined = await cliOn(
      () => db.databaseName,
      () => collection,
      {
        confirm: async (question: string) => {
          questions.push(question);
          return false;
        },
      },
    )('delete', '--all');
    expect(declined.code).toBe(ExitCode.FAILURE);
    expect(declined.stderr).toContain('nothing was deleted');
    expect(questions).toEqual([
      `delete every job: 2 jobs in collection ${collection} would be deleted. Continue? [y/N] `,
    ]);
    expect(await db.collection(collection).countDocuments({})).toBe(3);
    const accepted = await cliOn(
      () => db.databaseName,
      () => collection,
      { confirm: async () => true },
    )('delete', '--all');
    expect(accepted.stdout).toBe('deleted 2 jobs\n');
  });

  it('--all with a filter is a usage error (as "all" with filters is a 400 in the API), asking nothing', async () => {
    await insertJobs(db, collection, [
      { name: 'keep-me-not', status: 'completed' },
      { name: 'keep-me-not', status: 'completed' },
      ...Array.from({ length: 5 }, () => ({ name: 'keep-me', status: 'completed' as const })),
    ]);
    const questions: string[] = [];
    const onTerminal = cliOn(
      () => db.databaseName,
      () => collection,
      {
        confirm: async (question: string) => {
          questions.push(question);
          return true;
        },
      },
    );
    // The terminal's question counted every job (7) while the command deleted the 2 named ones.
    for (const args of [
      ['delete', '--all', '--name', 'keep-me-not'],
      ['delete', '--all', '--yes', '--status', 'completed'],
      ['cancel', '--all', '--data', 'a=1'],
      ['retry', '--all', '--created-after', '1d'],
    ]) {
      const run = await onTerminal(...args);
      expect(run.code, args.join(' ')).toBe(ExitCode.USAGE);
      expect(run.stderr, args.join(' ')).toContain('--all or filters, not both');
    }
    expect(questions).toEqual([]);
    expect(await db.collection(collection).countDocuments({})).toBe(7);
  });
});

describe('show', () => {
  it('prints the attempt history: attempt, time, instance, duration, message and stack', async () => {
    const errors: JobErrorRecord[] = [
      {
        attempt: 1,
        at: new Date('2025-06-10T11:58:00Z'),
        message: 'CRM answered 503',
        stack: 'Error: CRM answered 503\n    at sync (/srv/app/sync.js:10:11)',
        instanceId: 'web-1',
        durationMs: 1250,
      },
      {
        attempt: 2,
        at: new Date('2025-06-10T11:59:00Z'),
        message: `lock expired ${HOSTILE}`,
        instanceId: 'web-2',
        durationMs: 90_000,
      },
    ];
    const [job] = await insertJobs(db, collection, [{ name: 'sync', status: 'failed', errors }]);
    const run = await cli('show', job?._id.toHexString() as string);
    expectTerminalSafe(run.stdout);
    const history = run.stdout.slice(run.stdout.indexOf('attempt history'));
    expect(history.split('\n')).toEqual([
      'attempt history (2 failed attempts, oldest first):',
      '  #1  2025-06-10 11:58:00Z  on web-1  after 1s',
      '    CRM answered 503',
      '      Error: CRM answered 503',
      '          at sync (/srv/app/sync.js:10:11)',
      '  #2  2025-06-10 11:59:00Z  on web-2  after 1m 30s',
      `    lock expired ${visible(HOSTILE)}`,
      '',
    ]);
  });
});
