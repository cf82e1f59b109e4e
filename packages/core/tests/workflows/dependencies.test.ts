/**
 * Jobs that wait for other jobs (`dependsOn`), black-box: `waiting` until every dependency
 * completed, then `pending` (due at `runAt`, or now); a dependency that fails, is cancelled or is
 * deleted cancels its dependents, naming it, down the graph (unless `onDependencyFailure: 'run'`);
 * `dependencies()` reads their results. The workflow sweep is off in these tests (an hour), so
 * every release seen here was made by the instance that finished the dependency, or by the
 * operation.
 */
import { waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { type DependencyResult, type Job, JobStatus, UnrecoverableError } from '../../src/index.js';
import { deferred, nextEvent, useTestDb, waitForStatus } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';
import { createWorkflowMonque, rawJobs, statuses, stored, waitForAll } from './helpers.js';

const getDb = useTestDb(import.meta.url);

describe('waiting for dependencies', () => {
  it('a job is waiting until its last dependency completed, then runs; never before', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const finished = new Set<string>();
    let early = 0;
    monque.worker('extract', async (job) => {
      finished.add(job._id.toHexString());
      return { rows: (job.data as { rows: number }).rows };
    });
    const gate = deferred();
    monque.worker('slow-extract', async () => {
      await gate.promise;
      return { rows: 5 };
    });
    monque.worker('merge', async (job, { dependencies }) => {
      for (const id of job.dependsOn ?? []) {
        if ((await stored(db, monque, id))?.status !== JobStatus.COMPLETED) early += 1;
      }
      return (await dependencies()).map((dependency: DependencyResult) => dependency.result);
    });
    const a = await monque.enqueue('extract', { rows: 1 });
    const b = await monque.enqueue('slow-extract', {});
    const merge = await monque.enqueue('merge', {}, { dependsOn: [a._id, b._id] });
    expect(merge).toMatchObject({ status: JobStatus.WAITING, dependsOn: [a._id, b._id] });
    await monque.start();
    await waitForStatus(db, monque, a._id, JobStatus.COMPLETED);
    await waitUntil(async () => (await stored(db, monque, a._id))?.notifyDependents === undefined, 'a told');
    expect((await stored(db, monque, merge._id))?.status).toBe(JobStatus.WAITING);
    gate.resolve();
    const done = await waitForStatus(db, monque, merge._id, JobStatus.COMPLETED);
    await monque.stop();
    expect(early).toBe(0);
    expect(done.result).toEqual([{ rows: 1 }, { rows: 5 }]);
  });

  it('a dependency already completed counts as done: all completed → pending at once', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    monque.worker('first', () => 1);
    const first = await monque.enqueue('first', {});
    await monque.start();
    await waitForStatus(db, monque, first._id, JobStatus.COMPLETED);
    await monque.stop();
    const next = await monque.enqueue('next', {}, { dependsOn: [first._id] });
    expect(next.status).toBe(JobStatus.PENDING);
    expect((await stored(db, monque, next._id))?.status).toBe(JobStatus.PENDING);
  });

  it('released: due now, or at its later runAt', async () => {
    const db = await getDb();
    const clock = new TestClock('2031-01-01T00:00:00Z');
    const monque = createWorkflowMonque(db, { clock });
    monque.worker('dependency', () => {
      clock.advance(60_000);
    });
    const dependency = await monque.enqueue('dependency', {});
    const soon = await monque.enqueue('soon', {}, { dependsOn: [dependency._id], runAt: new Date('2030-01-01') });
    const later = await monque.enqueue('later', {}, { dependsOn: [dependency._id], runAt: new Date('2031-06-01') });
    await monque.start();
    await waitForAll(db, monque, [soon._id, later._id], JobStatus.PENDING);
    await monque.stop();
    expect(await stored(db, monque, soon._id)).toMatchObject({ nextRunAt: new Date('2031-01-01T00:01:00Z') });
    expect(await stored(db, monque, later._id)).toMatchObject({ nextRunAt: new Date('2031-06-01') });
  });

  it('a dependency that fails for good cancels its dependents, naming it, down the graph', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    monque.worker('charge', () => {
      throw new UnrecoverableError('card declined');
    });
    const charge = await monque.enqueue('charge', {});
    const ship = await monque.enqueue('ship', {}, { dependsOn: [charge._id] });
    const mail = await monque.enqueue('mail', {}, { dependsOn: [ship._id] });
    const cancelled: string[] = [];
    monque.on('job:cancelled', ({ job }) => cancelled.push(job.name));
    await monque.start();
    await waitForAll(db, monque, [ship._id, mail._id], JobStatus.CANCELLED);
    await monque.stop();
    expect(await stored(db, monque, ship._id)).toMatchObject({
      cancelReason: `dependency ${charge._id.toHexString()} ('charge') failed`,
    });
    expect(await stored(db, monque, mail._id)).toMatchObject({
      cancelReason: `dependency ${ship._id.toHexString()} ('ship') was cancelled`,
    });
    expect(cancelled.sort()).toEqual(['mail', 'ship']);
    // Nothing is owed any more: every marker is cleared, and retention applies again.
    const left = await rawJobs(db, monque).countDocuments({ notifyDependents: { $exists: true } });
    expect(left).toBe(0);
    expect((await stored(db, monque, mail._id))?.expireAt).toBeInstanceOf(Date);
  });

  it("onDependencyFailure 'run': the dependent runs anyway, once its other dependencies completed", async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    monque.worker('flaky', () => {
      throw new UnrecoverableError('no');
    });
    monque.worker('fine', () => 'ok');
    let seen: DependencyResult[] = [];
    monque.worker('cleanup', async (_job, { dependencies }) => {
      seen = await dependencies();
    });
    const flaky = await monque.enqueue('flaky', {});
    const fine = await monque.enqueue('fine', {});
    const cleanup = await monque.enqueue(
      'cleanup',
      {},
      { dependsOn: [flaky._id, fine._id], onDependencyFailure: 'run' },
    );
    expect(cleanup.onDependencyFailure).toBe('run');
    await monque.start();
    await waitForStatus(db, monque, cleanup._id, JobStatus.COMPLETED);
    await monque.stop();
    expect(seen.map(({ name, status, result }) => ({ name, status, result }))).toEqual([
      { name: 'flaky', status: JobStatus.FAILED, result: undefined },
      { name: 'fine', status: JobStatus.COMPLETED, result: 'ok' },
    ]);
  });

  it('a dependent linked while its dependency runs is released by the instance that completes it', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const gate = deferred();
    const started = deferred();
    monque.worker('long', async () => {
      started.resolve();
      await gate.promise;
    });
    const long = await monque.enqueue('long', {});
    await monque.start();
    await started.promise;
    // Claimed before it had dependents: its outcome write is fenced on that, and decided again.
    const dependent = await monque.enqueue('after', {}, { dependsOn: [long._id] });
    expect(dependent.status).toBe(JobStatus.WAITING);
    gate.resolve();
    await waitForStatus(db, monque, dependent._id, JobStatus.PENDING);
    await monque.stop();
    expect(await stored(db, monque, long._id)).toMatchObject({ status: JobStatus.COMPLETED });
  });

  it('…and one linked while its dependency runs, which then fails for good, is cancelled by that instance', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const gate = deferred();
    const started = deferred();
    monque.worker('long', async () => {
      started.resolve();
      await gate.promise;
      throw new UnrecoverableError('broke');
    });
    const long = await monque.enqueue('long', {});
    await monque.start();
    await started.promise;
    const dependent = await monque.enqueue('after', {}, { dependsOn: [long._id] });
    gate.resolve();
    await waitForStatus(db, monque, dependent._id, JobStatus.CANCELLED);
    await monque.stop();
  });

  it('the unique key of a waiting job is held; a dependent whose key holder is its dependency is refused', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const a = await monque.enqueue('sync', {});
    const waiting = await monque.enqueue('sync', {}, { dependsOn: [a._id], uniqueKey: 'k' });
    const again = await monque.enqueue('sync', {}, { uniqueKey: 'k' });
    expect(again._id).toEqual(waiting._id);
    const error = await monque.enqueue('sync', {}, { uniqueKey: 'k', dependsOn: [waiting._id] }).catch((e) => e);
    expect(error).toMatchObject({ name: 'InvalidArgumentError', argument: 'options.dependsOn' });
    expect(await rawJobs(db, monque).countDocuments({})).toBe(2);
  });

  it('a waiting job holding a key is replaced or debounced like a pending one: it keeps waiting', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const dependency = await monque.enqueue('dependency', {});
    const waiting = await monque.enqueue('sync', { v: 1 }, { dependsOn: [dependency._id], uniqueKey: 'k' });
    const replaced = await monque.enqueue('sync', { v: 2 }, { uniqueKey: 'k', onDuplicate: 'replace' });
    expect(replaced._id).toEqual(waiting._id);
    expect(await stored(db, monque, waiting._id)).toMatchObject({ status: JobStatus.WAITING, data: { v: 2 } });
    const debounced = await monque.enqueue('sync', { v: 3 }, { uniqueKey: 'k', debounce: 60_000 });
    expect(debounced._id).toEqual(waiting._id);
    expect(await stored(db, monque, waiting._id)).toMatchObject({ status: JobStatus.WAITING, data: { v: 3 } });
    expect(await rawJobs(db, monque).countDocuments({ name: 'sync' })).toBe(1);
  });

  it('enqueueMany: items with and without dependencies, each in its own state', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    monque.worker('a', () => 'A');
    const a = await monque.enqueue('a', {});
    await monque.start();
    await waitForStatus(db, monque, a._id, JobStatus.COMPLETED);
    await monque.stop();
    const b = await monque.enqueue('b', {});
    const jobs = await monque.enqueueMany([
      { name: 'plain', data: { n: 1 } },
      { name: 'after-a', data: {}, options: { dependsOn: [a._id] } },
      { name: 'after-b', data: {}, options: { dependsOn: [a._id, b._id.toHexString()] } },
    ]);
    expect(jobs.map((job) => job.status)).toEqual([JobStatus.PENDING, JobStatus.PENDING, JobStatus.WAITING]);
    expect(
      await statuses(
        db,
        monque,
        jobs.map((job) => job._id),
      ),
    ).toEqual(['pending', 'pending', 'waiting']);
  });

  it('inside a transaction: the dependent exists and its dependency is marked only if it commits', async (context) => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const dependency = await monque.enqueue('dependency', {});
    const session = (db as unknown as { client: import('mongodb').MongoClient }).client.startSession();
    try {
      session.startTransaction();
      let dependent: Job;
      try {
        dependent = await monque.enqueue('dependent', {}, { dependsOn: [dependency._id], session });
      } catch (error) {
        await session.abortTransaction().catch(() => {});
        if (/Transaction|replica set/i.test(String(error))) context.skip('the server has no transactions');
        throw error;
      }
      await session.abortTransaction();
      expect(await stored(db, monque, dependent._id)).toBeNull();
      expect((await stored(db, monque, dependency._id))?.notifyDependents).toBeUndefined();
      session.startTransaction();
      dependent = await monque.enqueue('dependent', {}, { dependsOn: [dependency._id], session });
      await session.commitTransaction();
      expect(await stored(db, monque, dependent._id)).toMatchObject({ status: JobStatus.WAITING });
      expect((await stored(db, monque, dependency._id))?.notifyDependents).toBe(true);
      monque.worker('dependency', () => {});
      await monque.start();
      await waitForStatus(db, monque, dependent._id, JobStatus.PENDING);
      await monque.stop();
    } finally {
      await session.endSession();
    }
  });
});

describe('operations on workflows', () => {
  it('cancelJob of a waiting job: it is cancelled, and its dependents follow', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const a = await monque.enqueue('a', {});
    const b = await monque.enqueue('b', {}, { dependsOn: [a._id] });
    const c = await monque.enqueue('c', {}, { dependsOn: [b._id] });
    const event = nextEvent(monque, 'job:cancelled', ({ job }) => job.name === 'c');
    const cancelled = await monque.cancelJob(b._id, { reason: 'not needed' });
    expect(cancelled).toMatchObject({ status: JobStatus.CANCELLED, cancelReason: 'not needed' });
    await event;
    expect(await statuses(db, monque, [a._id, b._id, c._id])).toEqual(['pending', 'cancelled', 'cancelled']);
    expect((await stored(db, monque, c._id))?.cancelReason).toBe(
      `dependency ${b._id.toHexString()} ('b') was cancelled`,
    );
  });

  it('cancelJobs: the dependents of every job it cancels follow', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const roots = await monque.enqueueMany([
      { name: 'root', data: { n: 1 } },
      { name: 'root', data: { n: 2 } },
    ]);
    const leaves = await monque.enqueueMany(
      roots.map((root) => ({ name: 'leaf', data: {}, options: { dependsOn: [root._id] } })),
    );
    expect(await monque.cancelJobs({ name: 'root' })).toEqual({ count: 2 });
    expect(
      await statuses(
        db,
        monque,
        leaves.map((leaf) => leaf._id),
      ),
    ).toEqual(['cancelled', 'cancelled']);
  });

  it('deleteJob of a dependency not yet completed cancels its dependents; of a completed one, not', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    monque.worker('done', () => 'yes');
    const done = await monque.enqueue('done', {});
    await monque.start();
    await waitForStatus(db, monque, done._id, JobStatus.COMPLETED);
    await monque.stop();
    const open = await monque.enqueue('open', {});
    const dependent = await monque.enqueue('dependent', {}, { dependsOn: [done._id, open._id] });
    const other = await monque.enqueue('other', {}, { dependsOn: [done._id] });
    expect(other.status).toBe(JobStatus.PENDING);
    const waitingOnDone = await monque.enqueue('waiting', {}, { dependsOn: [done._id, dependent._id] });
    expect(await monque.deleteJob(done._id)).toBe(true);
    expect(await statuses(db, monque, [done._id, dependent._id, waitingOnDone._id])).toEqual([
      'gone',
      'waiting',
      'waiting',
    ]);
    expect(await monque.deleteJob(open._id)).toBe(true);
    expect(await statuses(db, monque, [open._id, dependent._id, waitingOnDone._id])).toEqual([
      'gone',
      'cancelled',
      'cancelled',
    ]);
    expect((await stored(db, monque, dependent._id))?.cancelReason).toBe(
      `dependency ${open._id.toHexString()} ('open') was deleted`,
    );
  });

  it('a completed dependency is remembered by a cancelled dependent: deleted later, it does not cancel its retry', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    monque.worker('x', () => {});
    const x = await monque.enqueue('x', {});
    const y = await monque.enqueue('y', {});
    const dependent = await monque.enqueue('dependent', {}, { dependsOn: [x._id, y._id] });
    await monque.cancelJob(dependent._id);
    await monque.start();
    await waitForStatus(db, monque, x._id, JobStatus.COMPLETED);
    await waitUntil(async () => (await stored(db, monque, x._id))?.notifyDependents === undefined, 'x told');
    await monque.stop();
    expect(await monque.deleteJob(x._id)).toBe(true);
    expect((await monque.retryJob(dependent._id))?.status).toBe(JobStatus.WAITING);
    expect((await stored(db, monque, dependent._id))?.settledDependencies).toEqual([x._id]);
  });

  it('deleteJobs: jobs with dependents are deleted after telling them', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const a = await monque.enqueue('a', {});
    const b = await monque.enqueue('b', {});
    const dependent = await monque.enqueue('dependent', {}, { dependsOn: [a._id] });
    expect(await monque.deleteJobs({ name: ['a', 'b'] })).toEqual({ count: 2 });
    expect(await statuses(db, monque, [a._id, b._id, dependent._id])).toEqual(['gone', 'gone', 'cancelled']);
  });

  it('retryJob of a cancelled dependent: waiting again, and released at once when its dependencies completed', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    monque.worker('a', () => {});
    monque.worker('b', () => {});
    const a = await monque.enqueue('a', {});
    const b = await monque.enqueue('b', {});
    const dependent = await monque.enqueue('dependent', {}, { dependsOn: [a._id, b._id] });
    await monque.cancelJob(dependent._id);
    expect((await monque.retryJob(dependent._id))?.status).toBe(JobStatus.WAITING);
    await monque.cancelJob(b._id);
    expect((await stored(db, monque, dependent._id))?.status).toBe(JobStatus.CANCELLED);
    await monque.retryJob(b._id);
    expect((await monque.retryJob(dependent._id))?.status).toBe(JobStatus.WAITING);
    await monque.start();
    await waitForStatus(db, monque, dependent._id, JobStatus.PENDING);
    await monque.stop();
    await monque.cancelJob(dependent._id);
    expect((await monque.retryJob(dependent._id))?.status).toBe(JobStatus.PENDING);
  });

  it('retryJobs of cancelled dependents: waiting again, linked to their dependencies', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const a = await monque.enqueue('a', {});
    const dependents = await monque.enqueueMany([
      { name: 'd', data: { n: 1 }, options: { dependsOn: [a._id] } },
      { name: 'd', data: { n: 2 }, options: { dependsOn: [a._id], uniqueKey: 'd2' } },
    ]);
    await monque.cancelJob(a._id);
    expect(
      await statuses(
        db,
        monque,
        dependents.map((d) => d._id),
      ),
    ).toEqual(['cancelled', 'cancelled']);
    await monque.retryJob(a._id);
    expect(await monque.retryJobs({ name: 'd' })).toEqual({ count: 2 });
    expect(
      await statuses(
        db,
        monque,
        dependents.map((d) => d._id),
      ),
    ).toEqual(['waiting', 'waiting']);
    expect(await rawJobs(db, monque).countDocuments({ linkPending: true })).toBe(0);
    monque.worker('a', () => {});
    await monque.start();
    await waitForAll(
      db,
      monque,
      dependents.map((d) => d._id),
      JobStatus.PENDING,
    );
    await monque.stop();
  });

  it('getJobs by status waiting, getJob with dependsOn and its dependents count, getStats counts waiting', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const a = await monque.enqueue('a', {});
    const b = await monque.enqueue('b', {}, { dependsOn: [a._id] });
    const c = await monque.enqueue('c', {}, { dependsOn: [a._id, b._id] });
    const { jobs } = await monque.getJobs({ status: 'waiting' });
    expect(jobs.map((job) => job._id)).toEqual([c._id, b._id]);
    expect(await monque.getJob(a._id)).toMatchObject({ dependents: 2 });
    expect(await monque.getJob(c._id)).toMatchObject({ dependsOn: [a._id, b._id] });
    expect(await monque.getJob(c._id)).not.toHaveProperty('dependents');
    expect(await monque.getJob(c._id)).not.toHaveProperty('linkPending');
    const stats = await monque.getStats();
    expect(stats.total).toMatchObject({ waiting: 2, pending: 1 });
    expect(stats.byName.b).toMatchObject({ waiting: 1 });
    expect(await monque.countJobs({ status: 'waiting' })).toBe(2);
  });

  it('queries by ids, by dependsOn (a job’s dependents) and by flowId (a flow, and its progress in getStats)', async () => {
    const db = await getDb();
    const monque = createWorkflowMonque(db);
    const tree = await monque.flow({
      name: 'root',
      data: {},
      children: [
        { name: 'leaf', data: { n: 1 } },
        { name: 'leaf', data: { n: 2 } },
      ],
    });
    const other = await monque.enqueue('other', {}, { dependsOn: [tree.job._id] });
    const leafIds = tree.children.map((child) => child.job._id);
    const byIds = await monque.getJobs({ ids: [...leafIds, other._id.toHexString()] }, { limit: 2 });
    expect(byIds.jobs.map((job) => job._id)).toEqual([other._id, leafIds[1]]);
    const rest = await monque.getJobs(
      { ids: [...leafIds, other._id] },
      { limit: 2, cursor: byIds.nextCursor as string },
    );
    expect(rest.jobs.map((job) => job._id)).toEqual([leafIds[0]]);
    expect((await monque.getJobs({ dependsOn: tree.job._id })).jobs.map((job) => job._id)).toEqual([other._id]);
    expect(await monque.countJobs({ flowId: tree.job._id })).toBe(3);
    expect((await monque.getStats({ flowId: tree.job._id })).total).toMatchObject({ waiting: 1, pending: 2 });
    for (const [query, argument] of [
      [{ dependsOn: { $ne: null } }, 'query.dependsOn'],
      [{ dependsOn: 'nope' }, 'query.dependsOn'],
      [{ flowId: 42 }, 'query.flowId'],
    ] as const) {
      const error = await monque.getJobs(query as never).catch((e: unknown) => e);
      expect(error, argument).toMatchObject({ name: 'InvalidArgumentError', argument });
    }
  });
});
