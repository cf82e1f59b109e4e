/**
 * Every bad input of the operations API is an `InvalidArgumentError` naming the field, and not one
 * command reaches the server (so nothing can be written).
 */
import { freshCollectionName } from '@monque/test-backend';
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type Monque } from '../../src/index.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { encodeCursor } from '../../src/store/job-page.js';
import { openCommandLog } from '../helpers/command-log.js';
import { createOpsMonque, useOperationsDb } from './helpers.js';

const getDb = useOperationsDb(import.meta.url);

type Call = (monque: Monque) => Promise<unknown>;

const id = new ObjectId();
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const QUERY_CASES: [unknown, string][] = [
  ['everything', 'query'],
  [[], 'query'],
  [null, 'query'],
  [{ nmae: 'x' }, 'query.nmae'],
  [{ $where: 'true' }, 'query.$where'],
  [{ name: { $ne: null } }, 'query.name'],
  [{ name: [] }, 'query.name'],
  [{ name: ['a', 3] }, 'query.name[1]'],
  [{ name: '' }, 'query.name'],
  [{ status: 'done' }, 'query.status'],
  [{ status: { $in: ['failed'] } }, 'query.status'],
  [{ status: ['pending', 'nope'] }, 'query.status[1]'],
  [{ status: [] }, 'query.status'],
  [{ uniqueKey: { $gt: '' } }, 'query.uniqueKey'],
  [{ uniqueKey: 7 }, 'query.uniqueKey'],
  [{ data: 'x' }, 'query.data'],
  [{ data: [1] }, 'query.data'],
  // No field at all: what `{ __proto__: 5 }` written in code becomes (the literal sets the prototype).
  [{ data: {} }, 'query.data'],
  [{ data: Object.create(null) }, 'query.data'],
  [{ data: { 'a.b': { $gt: 1 } } }, 'query.data.a.b'],
  [{ data: { a: [1] } }, 'query.data.a'],
  [{ data: { a: { b: 1 } } }, 'query.data.a'],
  [{ data: { a: /x/ } }, 'query.data.a'],
  [{ data: { a: Number.NaN } }, 'query.data.a'],
  [{ data: { a: new Date(Number.NaN) } }, 'query.data.a'],
  [{ data: { a: 10n } }, 'query.data.a'],
  [{ data: { $where: 1 } }, 'query.data.$where'],
  [{ data: { 'a..b': 1 } }, 'query.data.a..b'],
  [{ data: { 'a.$b': 1 } }, 'query.data.a.$b'],
  [{ data: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`f${i}`, i])) }, 'query.data'],
  [{ createdAfter: 'yesterday' }, 'query.createdAfter'],
  [{ createdBefore: new Date(Number.NaN) }, 'query.createdBefore'],
  [{ finishedBefore: { $lt: new Date() } }, 'query.finishedBefore'],
];

const PAGE_CASES: [unknown, string][] = [
  [{ limit: 0 }, 'page.limit'],
  [{ limit: 1001 }, 'page.limit'],
  [{ limit: 2.5 }, 'page.limit'],
  [{ limit: '10' }, 'page.limit'],
  [{ size: 10 }, 'page.size'],
  ['next', 'page'],
  [{ cursor: 'not a cursor!' }, 'page.cursor'],
  [{ cursor: '' }, 'page.cursor'],
  [{ cursor: null }, 'page.cursor'],
  [{ cursor: { $gt: '' } }, 'page.cursor'],
  [{ cursor: base64url({ v: 2, after: id.toHexString() }) }, 'page.cursor'],
  [{ cursor: base64url({ v: 1, after: 'zz' }) }, 'page.cursor'],
  [{ cursor: base64url([1]) }, 'page.cursor'],
  [{ cursor: 'bm90IGpzb24' }, 'page.cursor'],
];

const OTHER_CASES: [Call, string][] = [
  [(m) => m.getJob({ $exists: true } as never), 'id'],
  [(m) => m.cancelJob({ $ne: null } as never), 'id'],
  [(m) => m.cancelJob(id, { reason: 5 } as never), 'options.reason'],
  [(m) => m.cancelJob(id, { reason: 'x'.repeat(2001) }), 'options.reason'],
  [(m) => m.cancelJob(id, { why: 'x' } as never), 'options.why'],
  [(m) => m.cancelJob(id, 'because' as never), 'options'],
  [(m) => m.retryJob('0'.repeat(25)), 'id'],
  [(m) => m.rescheduleJob(id, Date.now() as never), 'runAt'],
  [(m) => m.rescheduleJob('nope', new Date()), 'id'],
  [(m) => m.deleteJob(42 as never), 'id'],
  [(m) => m.cancelJobs({ status: { $ne: 'x' } } as never), 'query.status'],
  [(m) => m.cancelJobs({}, { reason: [] } as never), 'options.reason'],
  [(m) => m.retryJobs(null as never), 'query'],
  [(m) => m.deleteJobs({ data: { a: { $exists: true } } } as never), 'query.data.a'],
  [(m) => m.pause({ $ne: null } as never), 'name'],
  [(m) => m.resume('' as never), 'name'],
];

describe('bad input to the operations API', () => {
  it('is an InvalidArgumentError naming the field, and nothing is sent to the server', async () => {
    const db = await getDb();
    const log = await openCommandLog(db.databaseName);
    try {
      const monque = createOpsMonque(log.db, { collectionName: freshCollectionName(db) });
      await monque.enqueue('x', null); // indexes exist; the collection is not empty
      const cases: [Call, string, string][] = [
        ...QUERY_CASES.flatMap(([query, argument]): [Call, string, string][] => [
          [(m) => m.getJobs(query as never), argument, `getJobs ${String(argument)}`],
          [(m) => m.countJobs(query as never), argument, `countJobs ${String(argument)}`],
          [(m) => m.getStats(query as never), argument, `getStats ${String(argument)}`],
          [(m) => m.deleteJobs(query as never), argument, `deleteJobs ${String(argument)}`],
          [(m) => m.cancelJobs(query as never), argument, `cancelJobs ${String(argument)}`],
          [(m) => m.retryJobs(query as never), argument, `retryJobs ${String(argument)}`],
        ]),
        ...PAGE_CASES.map(([page, argument]): [Call, string, string] => [
          (m) => m.getJobs({}, page as never),
          argument,
          `page ${JSON.stringify(page)}`,
        ]),
        ...OTHER_CASES.map(([call, argument], index): [Call, string, string] => [call, argument, `other #${index}`]),
      ];
      log.clear();
      for (const [call, argument, label] of cases) {
        const error = await call(monque).catch((e: unknown) => e);
        expect(error, label).toBeInstanceOf(InvalidArgumentError);
        expect((error as InvalidArgumentError).argument, label).toBe(argument);
      }
      expect(log.commandNames()).toEqual([]);
      expect(await monque.countJobs()).toBe(1);
    } finally {
      await log.close();
    }
  });

  it('explains what was wrong', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const message = async (work: Promise<unknown>) => ((await work.catch((e: unknown) => e)) as Error).message;
    expect(await message(monque.getJobs({ nmae: 'x' } as never))).toContain("did you mean 'name'?");
    expect(await message(monque.getJobs({ name: { $ne: null } } as never))).toContain('query operator');
    expect(await message(monque.deleteJobs(undefined as never))).toContain('pass {} to select every job');
    expect(await message(monque.getJobs({ status: 'done' } as never))).toContain('pending, processing');
  });

  it('accepts undefined fields as absent, and a cursor from another query', async () => {
    const db = await getDb();
    const monque = createOpsMonque(db);
    const [first, second] = await monque.enqueueMany([
      { name: 'a', data: {} },
      { name: 'b', data: {} },
    ]);
    expect(await monque.countJobs({ name: undefined, status: undefined, data: { x: undefined } as never })).toBe(2);
    const page = await monque.getJobs(
      { name: 'a' },
      { cursor: encodeCursor({ _id: second?._id as ObjectId } as JobDocument) },
    );
    expect(page.jobs.map((job) => job._id)).toEqual([first?._id]);
  });
});
