/**
 * `flow()`, black-box: a tree written as one unit, each parent waiting for its children; the
 * returned tree; results passed up with `dependencies()`; a failure cancelling the parents; inside
 * the caller's transaction; what a dropped or lost write leaves (the whole flow, or nothing).
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import type { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  type FlowNode,
  type FlowSpec,
  type FlowSpecOf,
  JobStatus,
  Monque,
  UnrecoverableError,
} from '../../src/index.js';
import { STAGED } from '../../src/store/job-document.js';
import { faultyMonque } from '../helpers/faulty.js';
import { useTestDb, waitForStatus } from '../helpers/monque.js';
import { createWorkflowMonque, rawJobs, statuses } from './helpers.js';

const getDb = useTestDb(import.meta.url);

const report: FlowSpec = {
  name: 'report',
  data: { title: 'Q3' },
  children: [
    { name: 'fetch', data: { part: 1 } },
    {
      name: 'merge',
      data: { part: 2 },
      children: [
        { name: 'fetch', data: { part: 21 } },
        { name: 'fetch', data: { part: 22 } },
      ],
    },
  ],
};

function ids(node: FlowNode): string[] {
  return [node.job._id.toHexString(), ...node.children.flatMap(ids)];
}

describe('flow()', () => {
  it('returns the tree with each job: parents waiting on their children, leaves pending, one flowId', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const tree = await monque.flow(report);
    expect(tree.job).toMatchObject({ name: 'report', data: { title: 'Q3' }, status: JobStatus.WAITING });
    const [fetch1, merge] = tree.children as [FlowNode, FlowNode];
    expect(tree.job.dependsOn).toEqual([fetch1.job._id, merge.job._id]);
    expect(merge.job.dependsOn).toEqual(merge.children.map((child) => child.job._id));
    expect(merge.children.map((child) => child.job.status)).toEqual([JobStatus.PENDING, JobStatus.PENDING]);
    const all = await rawJobs(db, monque).find({}).toArray();
    expect(all).toHaveLength(5);
    expect(new Set(all.map((doc) => doc.flowId?.toHexString()))).toEqual(new Set([tree.job._id.toHexString()]));
    expect(all.map((doc) => doc._id.toHexString()).sort()).toEqual(ids(tree).sort());
    expect(all.map((doc) => doc.status).sort()).toEqual(['pending', 'pending', 'pending', 'waiting', 'waiting']);
    expect(tree.job).not.toHaveProperty('notifyDependents');
  });

  it('runs bottom-up; each parent reads its children’s results with dependencies()', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    monque.worker('fetch', (job) => (job.data as { part: number }).part, { concurrency: 3 });
    const collect = async (_job: unknown, { dependencies }: { dependencies: () => Promise<{ result: unknown }[]> }) =>
      (await dependencies()).map((dependency) => dependency.result);
    monque.worker('merge', collect);
    monque.worker('report', collect);
    const tree = await monque.flow(report);
    await monque.start();
    const done = await waitForStatus(db, monque, tree.job._id, JobStatus.COMPLETED);
    await monque.stop();
    expect(done.result).toEqual([1, [21, 22]]);
  });

  it('a child failing for good cancels its parent and the root; onDependencyFailure run lets a parent run', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    monque.worker('fetch', (job) => {
      if ((job.data as { part: number }).part === 22) throw new UnrecoverableError('404');
      return 'ok';
    });
    monque.worker('merge', () => 'merged');
    const tree = await monque.flow({
      ...report,
      children: [
        report.children?.[0] as FlowSpec,
        { ...(report.children?.[1] as FlowSpec), options: { onDependencyFailure: 'run' } },
      ],
    });
    const strict = await monque.flow(report);
    await monque.start();
    await waitForStatus(db, monque, strict.job._id, JobStatus.CANCELLED);
    await waitForStatus(db, monque, (tree.children[1] as FlowNode).job._id, JobStatus.COMPLETED);
    await monque.stop();
    const strictMerge = (strict.children[1] as FlowNode).job._id;
    expect(await statuses(db, monque, [strictMerge, strict.job._id])).toEqual(['cancelled', 'cancelled']);
    // The tolerant merge ran; the root depends on it and completes or waits for its report worker.
    expect((await statuses(db, monque, [tree.job._id]))[0]).toBe('pending');
  });

  it('inside a transaction: the flow exists if and only if it commits', async (context) => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    await monque.countJobs();
    const session = (db as unknown as { client: MongoClient }).client.startSession();
    try {
      session.startTransaction();
      try {
        await monque.flow(report, { session });
      } catch (error) {
        await session.abortTransaction().catch(() => {});
        if (/Transaction|replica set/i.test(String(error))) context.skip('the server has no transactions');
        throw error;
      }
      await session.abortTransaction();
      expect(await rawJobs(db, monque).countDocuments({})).toBe(0);
      session.startTransaction();
      const tree = await monque.flow(report, { session });
      expect(await rawJobs(db, monque).countDocuments({})).toBe(0);
      await session.commitTransaction();
      expect(await statuses(db, monque, [tree.job._id])).toEqual(['waiting']);
      expect(await rawJobs(db, monque).countDocuments({ status: 'pending' })).toBe(3);
    } finally {
      await session.endSession();
    }
  });

  it('a job of a flow can also depend on existing jobs (options.dependsOn)', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const outside = await monque.enqueue('outside', {});
    const tree = await monque.flow({
      name: 'root',
      data: {},
      children: [{ name: 'leaf', data: {}, options: { dependsOn: [outside._id] } }],
    });
    const leaf = (tree.children[0] as FlowNode).job;
    expect(leaf.dependsOn).toEqual([outside._id]);
    expect(await statuses(db, monque, [leaf._id])).toEqual(['waiting']);
    expect((await rawJobs(db, monque).findOne({ _id: outside._id }))?.notifyDependents).toBe(true);
    monque.worker('outside', () => {});
    monque.worker('leaf', () => {});
    await monque.start();
    await waitForStatus(db, monque, tree.job._id, JobStatus.PENDING);
    await monque.stop();
  });
});

describe('flow() when writes fail', () => {
  it('a dropped insert: flow() rejects and nothing of it is left', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { staleCheckInterval: 3_600_000 });
    await monque.countJobs();
    const dropped = proxy.dropRequest({ name: 'insert' });
    await expect(monque.flow(report)).rejects.toThrow();
    expect(dropped.hits).toBe(1);
    expect(await rawJobs(db, monque).countDocuments({})).toBe(0);
  });

  it('a lost insert reply: flow() finds all of it written and makes it live', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { staleCheckInterval: 3_600_000 });
    await monque.countJobs();
    const lost = proxy.loseReply({ name: 'insert' });
    const tree = await monque.flow(report);
    expect(lost.hits).toBe(1);
    expect(await rawJobs(db, monque).countDocuments({})).toBe(5);
    expect(await rawJobs(db, monque).countDocuments({ status: STAGED })).toBe(0);
    expect(await statuses(db, monque, [tree.job._id])).toEqual(['waiting']);
  });

  it('a lost reply of the commit: flow() reads the root and finishes', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { staleCheckInterval: 3_600_000 });
    await monque.countJobs();
    const lost = proxy.loseReply({ name: 'findAndModify' });
    const tree = await monque.flow(report);
    expect(lost.hits).toBe(1);
    expect(await rawJobs(db, monque).countDocuments({ status: { $in: ['waiting', 'pending'] } })).toBe(5);
    expect(tree.job.status).toBe(JobStatus.WAITING);
  });

  it('a dropped commit: flow() rejects, and the staged jobs are deleted', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { staleCheckInterval: 3_600_000 });
    await monque.countJobs();
    const dropped = proxy.dropRequest({ name: 'findAndModify' });
    await expect(monque.flow(report)).rejects.toThrow();
    expect(dropped.hits).toBe(1);
    await waitUntil(async () => (await rawJobs(db, monque).countDocuments({})) === 0, 'the staged flow to be gone');
  });
});

describe('flow() of typed jobs', () => {
  it('checks each job’s payload against its own name, at any depth', async () => {
    type Jobs = { report: { title: string }; fetch: { part: number } };
    const db = await getDb();
    const monque = new Monque<Jobs>(db, { collectionName: freshCollectionName(db) });
    const spec: FlowSpecOf<Jobs> = {
      name: 'report',
      data: { title: 'Q3' },
      children: [{ name: 'fetch', data: { part: 1 } }],
    };
    // @ts-expect-error: a fetch job's payload is { part: number }
    const wrong: FlowSpecOf<Jobs> = { name: 'report', data: { title: 'Q3' }, children: [{ name: 'fetch', data: {} }] };
    // @ts-expect-error: not a job name of the map
    const unknown: FlowSpecOf<Jobs> = { name: 'nope', data: {} };
    expect([wrong, unknown]).toHaveLength(2);
    const tree = await monque.flow(spec);
    expect(tree.children[0]?.job.data).toEqual({ part: 1 });
    await db.collection(monque.options.collectionName).deleteMany({});
  });
});
