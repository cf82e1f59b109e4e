/**
 * Bad workflow input: an `InvalidArgumentError` naming the place at fault, and nothing written
 * (the collection is compared before and after).
 */
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { type FlowSpec, InvalidArgumentError, MAX_DEPENDENCIES, MAX_FLOW_JOBS, type Monque } from '../../src/index.js';
import { useTestDb } from '../helpers/monque.js';
import { createWorkflowMonque, rawJobs } from './helpers.js';

const getDb = useTestDb(import.meta.url);

async function expectRefused(monque: Monque, work: () => Promise<unknown>, argument: string, message: RegExp) {
  const db = await getDb();
  const before = await rawJobs(db, monque).find({}).sort({ _id: 1 }).toArray();
  const error = await work().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, argument).toBeInstanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).argument).toBe(argument);
  expect((error as Error).message).toMatch(message);
  expect(await rawJobs(db, monque).find({}).sort({ _id: 1 }).toArray()).toEqual(before);
}

describe('dependsOn', () => {
  it('refuses unknown ids, recurring jobs, repeated ids, non-ids and too many, writing nothing', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const existing = await monque.enqueue('existing', {});
    const recurring = await monque.schedule('0 * * * *', 'hourly', {});
    const unknown = new ObjectId();
    await expectRefused(
      monque,
      () => monque.enqueue('x', {}, { dependsOn: [existing._id, unknown] }),
      'options.dependsOn[1]',
      new RegExp(`no job with id ${unknown.toHexString()} exists`),
    );
    await expectRefused(
      monque,
      () => monque.enqueue('x', {}, { dependsOn: [recurring._id] }),
      'options.dependsOn[0]',
      /is recurring: it never completes/,
    );
    await expectRefused(
      monque,
      () => monque.enqueue('x', {}, { dependsOn: [existing._id, existing._id.toHexString()] }),
      'options.dependsOn[1]',
      /listed twice \(also at \[0\]\)/,
    );
    await expectRefused(
      monque,
      () => monque.enqueue('x', {}, { dependsOn: ['nope'] }),
      'options.dependsOn[0]',
      /expected an ObjectId/,
    );
    await expectRefused(
      monque,
      () => monque.enqueue('x', {}, { dependsOn: existing._id as never }),
      'options.dependsOn',
      /expected an array of job ids/,
    );
    const many = Array.from({ length: MAX_DEPENDENCIES + 1 }, () => new ObjectId());
    await expectRefused(
      monque,
      () => monque.enqueue('x', {}, { dependsOn: many }),
      'options.dependsOn',
      /at most 1000 dependencies, got 1001/,
    );
    await expectRefused(
      monque,
      () => monque.enqueue('x', {}, { dependsOn: [existing._id], onDependencyFailure: 'ignore' as never }),
      'options.onDependencyFailure',
      /expected 'cancel' or 'run'/,
    );
    await expectRefused(
      monque,
      () =>
        monque.enqueueMany([
          { name: 'ok', data: {} },
          { name: 'x', data: {}, options: { dependsOn: [unknown] } },
        ]),
      'jobs[1].options.dependsOn[0]',
      /no job with id/,
    );
  });

  it('is not combined with a deduplication mode, in one enqueue or one enqueueMany', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const existing = await monque.enqueue('existing', {});
    await expectRefused(
      monque,
      () => monque.enqueue('x', {}, { dependsOn: [existing._id], uniqueKey: 'k', onDuplicate: 'replace' }),
      'options.dependsOn',
      /cannot be combined with onDuplicate, debounce or throttle/,
    );
    await expectRefused(
      monque,
      () =>
        monque.enqueueMany([
          { name: 'x', data: {}, options: { dependsOn: [existing._id] } },
          { name: 'y', data: {}, options: { uniqueKey: 'k', debounce: 1000 } },
        ]),
      'jobs',
      /cannot be enqueued in one call/,
    );
  });

  it('MAX_DEPENDENCIES dependencies are accepted', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const dependencies = await monque.enqueueMany(
      Array.from({ length: MAX_DEPENDENCIES }, (_, n) => ({ name: 'part', data: { n } })),
    );
    const job = await monque.enqueue('all', {}, { dependsOn: dependencies.map((d) => d._id) });
    expect(job.dependsOn).toHaveLength(MAX_DEPENDENCIES);
    await rawJobs(db, monque).deleteMany({});
  });

  it('a job of a flow not yet live, or being deleted, is unknown', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const staged = new ObjectId();
    const deleting = new ObjectId();
    const now = new Date();
    const base = { name: 'n', data: {}, nextRunAt: now, lockedAt: null, failCount: 0, createdAt: now, updatedAt: now };
    await rawJobs(db, monque).insertMany([
      { ...base, _id: staged, status: 'staged' as never, flowId: staged },
      { ...base, _id: deleting, status: 'cancelled', deleting: true, notifyDependents: true },
    ]);
    for (const id of [staged, deleting]) {
      await expectRefused(monque, () => monque.enqueue('x', {}, { dependsOn: [id] }), 'options.dependsOn[0]', /no job/);
    }
  });

  it('deadLetter must be a job name, on a job or a worker', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    await expectRefused(monque, () => monque.enqueue('x', {}, { deadLetter: '' }), 'options.deadLetter', /empty/);
    expect(() => monque.worker('x', () => {}, { deadLetter: 42 as never })).toThrow(/options\.deadLetter/);
  });
});

describe('flow()', () => {
  const leaf = (n: number): FlowSpec => ({ name: 'leaf', data: { n } });

  it('refuses a spec object that appears twice (a cycle, or a shared subtree)', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const cyclic: FlowSpec & { children: FlowSpec[] } = { name: 'a', data: {}, children: [] };
    cyclic.children.push({ name: 'b', data: {}, children: [cyclic] });
    await expectRefused(monque, () => monque.flow(cyclic), 'spec.children[0].children[0]', /same object as spec\b/);
    const shared = leaf(1);
    await expectRefused(
      monque,
      () => monque.flow({ name: 'root', data: {}, children: [shared, shared] }),
      'spec.children[1]',
      /same object as spec\.children\[0\]/,
    );
  });

  it('refuses bad jobs anywhere in the tree, a uniqueKey, too many jobs or children, writing nothing', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    await expectRefused(
      monque,
      () => monque.flow({ name: 'root', data: {}, children: [leaf(1), { name: '', data: {} }] }),
      'spec.children[1].name',
      /empty/,
    );
    await expectRefused(
      monque,
      () => monque.flow({ name: 'root', data: {}, children: [{ ...leaf(1), options: { uniqueKey: 'k' } as never }] }),
      'spec.children[0].options.uniqueKey',
      /not supported in a flow/,
    );
    await expectRefused(
      monque,
      () => monque.flow({ name: 'root', data: {}, children: [leaf(1)], extra: 1 } as never),
      'spec.extra',
      /unknown option/,
    );
    await expectRefused(
      monque,
      () => monque.flow({ name: 'root', data: {}, children: leaf(1) as never }),
      'spec.children',
      /expected an array/,
    );
    await expectRefused(monque, () => monque.flow(null as never), 'spec', /expected \{ name, data/);
    await expectRefused(
      monque,
      () =>
        monque.flow({ name: 'root', data: {}, children: [{ ...leaf(1), options: { dependsOn: [new ObjectId()] } }] }),
      'spec.children[0].options.dependsOn[0]',
      /no job with id/,
    );
    const wide = Array.from({ length: MAX_DEPENDENCIES + 1 }, (_, n) => leaf(n));
    await expectRefused(
      monque,
      () => monque.flow({ name: 'root', data: {}, children: wide }),
      'spec.children',
      /at most 1000 dependencies/,
    );
    const chunks = Array.from({ length: 11 }, (_, c) => ({
      name: 'chunk',
      data: {},
      children: Array.from({ length: 1000 }, (_, n) => leaf(c * 1000 + n)),
    }));
    await expectRefused(
      monque,
      () => monque.flow({ name: 'root', data: {}, children: chunks }),
      'spec',
      new RegExp(`at most ${MAX_FLOW_JOBS} jobs per flow`),
    );
    await expectRefused(
      monque,
      () => monque.flow({ name: 'root', data: {} }, { session: {} as never }),
      'options.session',
      /ClientSession/,
    );
  });
});
