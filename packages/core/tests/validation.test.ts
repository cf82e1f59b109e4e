import { freshCollectionName } from '@monque/test-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  InvalidCronError,
  MAX_DATA_BYTES,
  MAX_ENQUEUE_MANY,
  MAX_NAME_LENGTH,
  type Monque,
  MonqueError,
} from '../src/index.js';
import { type CommandLog, openCommandLog } from './helpers/command-log.js';
import { createMonque, jobsOf, useTestDb } from './helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** Every command the schedulers under test send goes through this monitored client. */
let log: CommandLog;

beforeAll(async () => {
  log = await openCommandLog((await getDb()).databaseName);
});

afterAll(async () => {
  await log.close();
});

/** Passes a deliberately ill-typed value through the typed API. */
function untyped(value: unknown): never {
  return value as never;
}

/** A scheduler (on the monitored client) whose collection already holds one job, so counts mean something. */
async function seededMonque(): Promise<Monque> {
  const db = await getDb();
  const monque = createMonque(log.db, { collectionName: freshCollectionName(db) });
  await monque.enqueue('existing', { seed: true });
  return monque;
}

type ErrorClass = typeof InvalidArgumentError | typeof InvalidCronError;

/**
 * Runs `call`, expects it to throw or reject with `errorClass`, the message to name `argument`,
 * no command to reach the server, and the job count to stay the same.
 */
async function expectRejected(
  monque: Monque,
  call: () => unknown,
  errorClass: ErrorClass,
  argument: string,
): Promise<MonqueError> {
  const jobs = jobsOf(await getDb(), monque);
  const before = await jobs.countDocuments();
  log.clear();
  let thrown: unknown;
  try {
    await call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(errorClass);
  expect(thrown).toBeInstanceOf(MonqueError);
  const error = thrown as MonqueError;
  if (error instanceof InvalidArgumentError) {
    expect(error.argument).toBe(argument);
    expect(error.message.startsWith(`${argument}: `)).toBe(true);
  } else {
    expect((error as InvalidCronError).expression).toBe(argument);
  }
  expect(log.commandNames(), 'commands sent for a rejected call').toEqual([]);
  expect(await jobs.countDocuments()).toBe(before);
  return error;
}

const circular: Record<string, unknown> = { a: 1 };
circular.me = circular;

/** Names that must be rejected, with what the message must say. */
const BAD_NAMES: readonly [string, unknown, string][] = [
  ['empty', '', 'must not be empty or blank'],
  ['blank', '   ', 'must not be empty or blank'],
  ['whitespace', '\t\n', 'must not be empty or blank'],
  ['a number', 42, 'expected a non-empty string, got 42'],
  ['null', null, 'got null'],
  ['undefined', undefined, 'got undefined'],
  ['a query operator', { $gt: '' }, 'got a query operator object'],
  ['an array', ['a'], 'got an array'],
  ['too long', 'x'.repeat(MAX_NAME_LENGTH + 1), `at most ${MAX_NAME_LENGTH} characters`],
  ['with a NUL', 'a\0b', 'NUL'],
];

/** Data BSON cannot store, with the path the message must name. */
const BAD_DATA: readonly [string, unknown, string][] = [
  ['a function', () => 1, 'data is a function'],
  ['a nested function', { a: { b: () => 1 } }, 'data.a.b is a function'],
  ['a function in an array', [1, () => 1], 'data[1] is a function'],
  ['a symbol', Symbol('s'), 'data is a symbol'],
  ['a nested symbol', { s: Symbol('s') }, 'data.s is a symbol'],
  ['a circular reference', circular, 'data.me refers back to itself (circular structure)'],
  ['a Map', new Map([['k', 1]]), 'data is a Map'],
  ['a nested Set', { tags: new Set(['a']) }, 'data.tags is a Set'],
  ['an invalid Date', { when: new Date('nope') }, 'data.when is an invalid Date'],
  ['a key with NUL', { 'a\0b': 1 }, 'data has a key with a NUL character'],
  ['a bigint past 2^63', { v: 2n ** 70n }, 'data.v is a bigint'],
  ['a small bigint', { v: 2n }, 'data.v is a bigint'],
  ['a URL', { site: new URL('https://example.com') }, 'data.site is a URL'],
  ['an Error', { cause: new Error('x') }, 'data.cause is a Error'],
  [
    'a class instance',
    {
      at: new (class Point {
        x = 1;
      })(),
    },
    'data.at is a Point',
  ],
  ['a Float64Array', { samples: new Float64Array(2) }, 'data.samples is a Float64Array'],
  ['a key starting with $', { filter: { $gt: 1 } }, "data.filter has a key starting with '$'"],
];

describe('enqueue rejects bad input and writes nothing', () => {
  it.each(BAD_NAMES)('name: %s', async (_, name, text) => {
    const monque = await seededMonque();
    const error = await expectRejected(monque, () => monque.enqueue(untyped(name), {}), InvalidArgumentError, 'name');
    expect(error.message).toContain(text);
  });

  it.each(BAD_DATA)('data: %s', async (_, data, text) => {
    const monque = await seededMonque();
    const error = await expectRejected(monque, () => monque.enqueue('job', data), InvalidArgumentError, 'data');
    expect(error.message).toContain(text);
  });

  it('data: what BSON stores with a documented change goes through (undefined → null, Buffer → Binary)', async () => {
    const monque = await seededMonque();
    const job = await monque.enqueue('job', { gone: undefined, bytes: Buffer.from('hi'), when: new Date(0), re: /x/i });
    const stored = await monque.getJob(job._id);
    expect(stored?.data).toMatchObject({ gone: null, when: new Date(0) });
    const { bytes } = (stored?.data ?? {}) as { bytes: { buffer: Uint8Array } };
    expect(Buffer.from(bytes.buffer).toString()).toBe('hi');
  });

  it('data: over the 16 MB document limit', async () => {
    const monque = await seededMonque();
    const big = { blob: 'x'.repeat(16 * 1024 * 1024) };
    const error = await expectRejected(monque, () => monque.enqueue('job', big), InvalidArgumentError, 'data');
    expect(error.message).toMatch(new RegExp(`is \\d+ bytes as BSON; the limit is ${MAX_DATA_BYTES} bytes`));
  });

  it.each([
    ['a string', '2030-01-01T00:00:00Z'],
    ['a timestamp', 1_900_000_000_000],
    ['an invalid Date', new Date('not a date')],
    ['null', null],
    ['an object', { $gt: new Date() }],
  ])('options.runAt: %s', async (_, runAt) => {
    const monque = await seededMonque();
    const error = await expectRejected(
      monque,
      () => monque.enqueue('job', {}, { runAt: untyped(runAt) }),
      InvalidArgumentError,
      'options.runAt',
    );
    expect(error.message).toContain('expected a valid Date');
  });

  it.each([
    ['a query operator', { $gt: '' }],
    ['a number', 42],
    ['empty', ''],
    ['blank', '  '],
    ['null', null],
    ['an array', ['k']],
  ])('options.uniqueKey: %s', async (_, uniqueKey) => {
    const monque = await seededMonque();
    await expectRejected(
      monque,
      () => monque.enqueue('job', {}, { uniqueKey: untyped(uniqueKey) }),
      InvalidArgumentError,
      'options.uniqueKey',
    );
  });

  it.each([
    ['a string', 'soon', 'options'],
    ['an array', [], 'options'],
    ['null', null, 'options'],
    ['an unknown key', { delay: 5 }, 'options.delay'],
    ['a misspelt key', { runat: new Date() }, 'options.runat'],
  ])('options: %s', async (_, options, argument) => {
    const monque = await seededMonque();
    const error = await expectRejected(
      monque,
      () => monque.enqueue('job', {}, untyped(options)),
      InvalidArgumentError,
      argument,
    );
    if (argument !== 'options') expect(error.message).toContain('unknown option');
    if (argument === 'options.runat') expect(error.message).toContain("did you mean 'runAt'");
  });

  it('a valid call still works after rejected ones', async () => {
    const monque = await seededMonque();
    await expectRejected(monque, () => monque.enqueue(untyped({ $gt: '' }), {}), InvalidArgumentError, 'name');
    log.clear();
    const job = await monque.enqueue('job', { ok: true }, { uniqueKey: 'k' });
    expect(job.name).toBe('job');
    // The monitor does see the commands of a call that goes through.
    expect(log.commandNames()).toContain('findAndModify');
    expect(await jobsOf(await getDb(), monque).countDocuments()).toBe(2);
  });
});

describe('now rejects bad input and writes nothing', () => {
  it.each(BAD_NAMES.slice(0, 7))('name: %s', async (_, name) => {
    const monque = await seededMonque();
    await expectRejected(monque, () => monque.now(untyped(name), {}), InvalidArgumentError, 'name');
  });

  it.each(BAD_DATA.slice(0, 6))('data: %s', async (_, data, text) => {
    const monque = await seededMonque();
    const error = await expectRejected(monque, () => monque.now('job', data), InvalidArgumentError, 'data');
    expect(error.message).toContain(text);
  });
});

describe('enqueueMany rejects bad input and writes nothing', () => {
  const good = { name: 'fine', data: { ok: true } };

  it.each([
    ['a string', 'jobs'],
    ['an object', { name: 'x', data: 1 }],
    ['null', null],
    ['undefined', undefined],
  ])('jobs: %s', async (_, jobs) => {
    const monque = await seededMonque();
    const error = await expectRejected(monque, () => monque.enqueueMany(untyped(jobs)), InvalidArgumentError, 'jobs');
    expect(error.message).toContain('expected an array');
  });

  it(`jobs: more than ${MAX_ENQUEUE_MANY}`, async () => {
    const monque = await seededMonque();
    const jobs = Array.from({ length: MAX_ENQUEUE_MANY + 1 }, () => good);
    const error = await expectRejected(monque, () => monque.enqueueMany(jobs), InvalidArgumentError, 'jobs');
    expect(error.message).toContain(`at most ${MAX_ENQUEUE_MANY} jobs per call`);
  });

  it.each([
    ['an item that is null', [good, null], 'jobs[1]'],
    ['an item that is a string', ['job'], 'jobs[0]'],
    ['a query operator as name', [good, { name: { $gt: '' }, data: 1 }], 'jobs[1].name'],
    ['a blank name', [good, good, { name: ' ', data: 1 }], 'jobs[2].name'],
    ['a function in data', [good, { name: 'x', data: { f: () => 1 } }], 'jobs[1].data'],
    ['a circular data', [{ name: 'x', data: circular }], 'jobs[0].data'],
    ['a bad runAt', [good, good, { name: 'x', data: 1, options: { runAt: 'tomorrow' } }], 'jobs[2].options.runAt'],
    [
      'a query operator as uniqueKey',
      [{ name: 'x', data: 1, options: { uniqueKey: { $gt: '' } } }],
      'jobs[0].options.uniqueKey',
    ],
    ['a numeric uniqueKey', [good, { name: 'x', data: 1, options: { uniqueKey: 7 } }], 'jobs[1].options.uniqueKey'],
    ['an unknown option', [{ name: 'x', data: 1, options: { priority: 1, prio: 2 } }], 'jobs[0].options.prio'],
    ['options that are not an object', [{ name: 'x', data: 1, options: 'now' }], 'jobs[0].options'],
  ])('%s (the valid items before it are not written either)', async (_, jobs, argument) => {
    const monque = await seededMonque();
    await expectRejected(monque, () => monque.enqueueMany(untyped(jobs)), InvalidArgumentError, argument);
  });
});

describe('schedule rejects bad input and writes nothing', () => {
  it.each([
    ['a wrong field count', '* * * *'],
    ['an out-of-range minute', '60 * * * *'],
    ['garbage', 'every day at noon'],
    ['a non-string', 42],
  ])('cron: %s', async (_, cron) => {
    const monque = await seededMonque();
    const error = await expectRejected(
      monque,
      () => monque.schedule(untyped(cron), 'report', {}),
      InvalidCronError,
      String(cron),
    );
    expect(error.message).toContain('a valid example');
  });

  it.each(BAD_NAMES.slice(0, 7))('name: %s', async (_, name) => {
    const monque = await seededMonque();
    await expectRejected(monque, () => monque.schedule('* * * * *', untyped(name), {}), InvalidArgumentError, 'name');
  });

  it.each(BAD_DATA.slice(0, 7))('data: %s', async (_, data) => {
    const monque = await seededMonque();
    await expectRejected(monque, () => monque.schedule('* * * * *', 'report', data), InvalidArgumentError, 'data');
  });

  it.each([
    ['an unknown time zone', { timezone: 'Mars/Olympus_Mons' }, 'options.timezone', 'is not an IANA time zone'],
    ['a numeric time zone', { timezone: 2 }, 'options.timezone', 'expected a non-empty string'],
    ['a query operator as uniqueKey', { uniqueKey: { $gt: '' } }, 'options.uniqueKey', 'got a query operator object'],
    ['an unknown option', { tz: 'UTC' }, 'options.tz', 'unknown option (known options: uniqueKey, timezone'],
    ['options that are not an object', 'UTC', 'options', 'expected an object'],
  ])('options: %s', async (_, options, argument, text) => {
    const monque = await seededMonque();
    const error = await expectRejected(
      monque,
      () => monque.schedule('0 * * * *', 'report', {}, untyped(options)),
      InvalidArgumentError,
      argument,
    );
    expect(error.message).toContain(text);
  });
});

describe('worker rejects bad input and registers nothing', () => {
  it.each(BAD_NAMES.slice(0, 8))('name: %s', async (_, name) => {
    const monque = await seededMonque();
    await expectRejected(monque, () => monque.worker(untyped(name), () => {}), InvalidArgumentError, 'name');
  });

  it.each([
    ['a string', 'handle'],
    ['undefined', undefined],
    ['null', null],
    ['an object with a handle method', { handle: () => {} }],
    ['a number', 1],
  ])('handler: %s', async (_, handler) => {
    const monque = await seededMonque();
    const error = await expectRejected(
      monque,
      () => monque.worker('job', untyped(handler)),
      InvalidArgumentError,
      'handler',
    );
    expect(error.message).toContain('expected a function');
    // Nothing was registered: the name is still free.
    monque.worker('job', () => {});
  });

  it.each([
    ['0', 0],
    ['1.5', 1.5],
    ['NaN', Number.NaN],
    ["'3'", '3'],
    ['-1', -1],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['10001', 10_001],
    ['null', null],
  ])('options.concurrency: %s', async (_, concurrency) => {
    const monque = await seededMonque();
    const error = await expectRejected(
      monque,
      () => monque.worker('job', () => {}, { concurrency: untyped(concurrency) }),
      InvalidArgumentError,
      'options.concurrency',
    );
    expect(error.message).toContain('expected an integer from 1 to 10000');
    monque.worker('job', () => {}, { concurrency: 10_000 });
  });

  it.each([
    ['an unknown option', { concurency: 2 }, 'options.concurency'],
    ['options that are not an object', 3, 'options'],
  ])('options: %s', async (_, options, argument) => {
    const monque = await seededMonque();
    await expectRejected(
      monque,
      () => monque.worker('job', () => {}, untyped(options)),
      InvalidArgumentError,
      argument,
    );
  });
});
