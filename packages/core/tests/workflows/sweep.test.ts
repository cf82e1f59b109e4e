/**
 * The workflow sweep, one pass at a time with a clock the test moves: what a crashed instance left
 * (a finished job whose dependents were not told, a dependent not linked, a dead letter not
 * written, a staged flow) is finished or removed, and what is still in progress is left alone.
 * Leftovers are written directly; a staged flow is invisible to every operation meanwhile.
 */
import { freshCollectionName } from '@monque/test-backend';
import { type Collection, type Db, ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { WorkflowSweep } from '../../src/engine/workflow-sweep.js';
import { MonqueEventEmitter } from '../../src/events.js';
import { JobStatus } from '../../src/index.js';
import { DEFAULT_OPTIONS, silentLogger } from '../../src/options.js';
import { IndexManager } from '../../src/store/indexes.js';
import { InsertStore } from '../../src/store/insert-store.js';
import { type JobDocument, STAGED } from '../../src/store/job-document.js';
import { ObjectIds } from '../../src/store/object-ids.js';
import { createWorkflows } from '../../src/workflows.js';
import { createMonque, useTestDb } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';
import { withRace } from '../store/race.js';

const getDb = useTestDb(import.meta.url);
const GRACE = 30_000;

/** A sweep of a fresh collection (or of `collection`, as the sweep sees it). */
async function sweepOf(db: Db, raceOn?: (collection: Collection<JobDocument>) => Collection<JobDocument>) {
  const collection = db.collection<JobDocument>(freshCollectionName(db));
  await new IndexManager(collection, []).ensure();
  const seen = raceOn ? raceOn(collection) : collection;
  const clock = new TestClock('2032-02-02T00:00:00Z');
  const ids = new ObjectIds(db);
  const inserts = new InsertStore(seen);
  const released: string[] = [];
  const workflows = createWorkflows({
    collection: seen,
    inserts,
    ids,
    clock,
    events: new MonqueEventEmitter(),
    retention: DEFAULT_OPTIONS.retention,
    onReleased: (name) => released.push(name),
  });
  const sweep = new WorkflowSweep({
    dependencies: workflows.store,
    release: workflows.release,
    deadLetters: workflows.deadLetters,
    flows: workflows.flows,
    inserts,
    ids,
    clock,
    events: new MonqueEventEmitter(),
    logger: silentLogger,
    interval: 60_000,
    stagedGrace: GRACE,
    bounded: (_what, work) => work(),
  });
  const at = clock.now();
  const store = async (fields: Partial<JobDocument>): Promise<JobDocument> => {
    const doc: JobDocument = {
      _id: new ObjectId(),
      name: 'job',
      data: {},
      status: JobStatus.PENDING,
      nextRunAt: at,
      lockedAt: null,
      failCount: 0,
      attempts: 0,
      createdAt: at,
      updatedAt: at,
      ...fields,
    };
    await collection.insertOne(doc);
    return doc;
  };
  const get = (id: ObjectId) => collection.findOne({ _id: id });
  return { collection, sweep, clock, store, get, released };
}

describe('the workflow sweep', () => {
  it('tells the dependents of a finished job still marked, and clears the marker with its expiry', async () => {
    const db = await getDb();
    const { sweep, store, get, released, clock } = await sweepOf(db);
    const done = await store({ status: JobStatus.COMPLETED, notifyDependents: true, finishedAt: clock.now() });
    const dependent = await store({ name: 'next', status: JobStatus.WAITING, dependsOn: [done._id] });
    const running = await store({ status: JobStatus.PROCESSING, notifyDependents: true });
    const other = await store({ name: 'other', status: JobStatus.WAITING, dependsOn: [running._id] });
    expect(await sweep.sweepOnce()).toMatchObject({ told: 1 });
    expect(await get(dependent._id)).toMatchObject({ status: JobStatus.PENDING, settledDependencies: [done._id] });
    expect(await get(done._id)).not.toHaveProperty('notifyDependents');
    expect((await get(done._id))?.expireAt).toEqual(new Date(clock.now().getTime() + 86_400_000));
    expect(await get(other._id)).toMatchObject({ status: JobStatus.WAITING });
    expect(await get(running._id)).toMatchObject({ notifyDependents: true });
    expect(released).toEqual(['next']);
  });

  it('links a dependent left unlinked: its dependencies are marked, and those already finished tell it', async () => {
    const db = await getDb();
    const { sweep, store, get } = await sweepOf(db);
    const done = await store({ status: JobStatus.COMPLETED });
    const open = await store({ status: JobStatus.PENDING });
    const ready = await store({ status: JobStatus.WAITING, dependsOn: [done._id], linkPending: true });
    const waiting = await store({ status: JobStatus.WAITING, dependsOn: [done._id, open._id], linkPending: true });
    expect(await sweep.sweepOnce()).toMatchObject({ linked: 2 });
    expect(await get(ready._id)).toMatchObject({ status: JobStatus.PENDING });
    expect(await get(ready._id)).not.toHaveProperty('linkPending');
    expect(await get(waiting._id)).toMatchObject({ status: JobStatus.WAITING, settledDependencies: [done._id] });
    expect(await get(waiting._id)).not.toHaveProperty('linkPending');
    expect(await get(open._id)).toMatchObject({ notifyDependents: true });
    expect(await get(done._id)).not.toHaveProperty('notifyDependents');
  });

  it('a dependent whose dependency is gone (deleted before it was linked) is cancelled, naming it', async () => {
    const db = await getDb();
    const { sweep, store, get } = await sweepOf(db);
    const gone = new ObjectId();
    const dependent = await store({ status: JobStatus.WAITING, dependsOn: [gone], linkPending: true });
    await sweep.sweepOnce();
    expect(await get(dependent._id)).toMatchObject({
      status: JobStatus.CANCELLED,
      cancelReason: `dependency ${gone.toHexString()} was deleted`,
    });
  });

  it('writes a dead letter still due, once however often it sweeps', async () => {
    const db = await getDb();
    const { sweep, store, get, collection, clock } = await sweepOf(db);
    const failed = await store({
      name: 'charge',
      data: { order: 3 },
      status: JobStatus.FAILED,
      failReason: 'declined',
      failCount: 2,
      attempts: 2,
      finishedAt: clock.now(),
      deadLetterDue: 'charge-failed',
    });
    await sweep.sweepOnce();
    await collection.updateOne({ _id: failed._id }, { $set: { deadLetterDue: 'charge-failed' } });
    await sweep.sweepOnce();
    const letters = await collection.find({ name: 'charge-failed' }).toArray();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      status: JobStatus.PENDING,
      data: { order: 3 },
      deadLetterOf: { jobId: failed._id, name: 'charge', failReason: 'declined', failCount: 2 },
    });
    expect(await get(failed._id)).not.toHaveProperty('deadLetterDue');
  });

  it('a step that fails keeps no later step from running: the dead letter is written, then the sweep rejects', async () => {
    const db = await getDb();
    // Reading the finished jobs whose dependents are untold fails, every time (a document the
    // sweep cannot read, say); the other steps must still do their work.
    const refused = new Error('the untold-dependencies read is refused');
    const { sweep, store, collection } = await sweepOf(
      db,
      (plain) =>
        new Proxy(plain, {
          get(target, property, receiver) {
            const value = Reflect.get(target, property, receiver);
            if (property !== 'find' || typeof value !== 'function') return value;
            return (filter: Record<string, unknown>, ...rest: unknown[]) => {
              if (filter && 'notifyDependents' in filter) throw refused;
              return (value as (...args: unknown[]) => unknown).apply(target, [filter, ...rest]);
            };
          },
        }),
    );
    const failed = await store({
      name: 'charge',
      status: JobStatus.FAILED,
      failReason: 'declined',
      failCount: 1,
      deadLetterDue: 'charge-failed',
    });
    await expect(sweep.sweepOnce()).rejects.toBe(refused);
    expect(await collection.countDocuments({ name: 'charge-failed', 'deadLetterOf.jobId': failed._id })).toBe(1);
  });

  it('makes the rest of a flow live when its root is live (the writer died after the commit)', async () => {
    const db = await getDb();
    const { sweep, store, get } = await sweepOf(db);
    const rootId = new ObjectId();
    const leaf = await store({ status: STAGED, flowId: rootId, notifyDependents: true });
    const middle = await store({ status: STAGED, flowId: rootId, dependsOn: [leaf._id], notifyDependents: true });
    await store({ _id: rootId, status: JobStatus.WAITING, flowId: rootId, dependsOn: [middle._id] });
    expect(await sweep.sweepOnce()).toMatchObject({ flowsMadeLive: 1 });
    expect(await get(leaf._id)).toMatchObject({ status: JobStatus.PENDING });
    expect(await get(middle._id)).toMatchObject({ status: JobStatus.WAITING });
  });

  it('a staged job with dependencies outside its flow is linked only once the flow is live', async () => {
    const db = await getDb();
    const { sweep, store, get, collection } = await sweepOf(db);
    const outside = await store({ status: JobStatus.COMPLETED });
    const rootId = new ObjectId();
    const node = await store({ status: STAGED, flowId: rootId, dependsOn: [outside._id], linkPending: true });
    await sweep.sweepOnce();
    expect(await get(node._id)).toMatchObject({ status: STAGED, linkPending: true });
    await store({ _id: rootId, status: JobStatus.WAITING, flowId: rootId, dependsOn: [node._id] });
    await collection.updateOne({ _id: node._id }, { $set: { notifyDependents: true } });
    await sweep.sweepOnce();
    expect(await get(node._id)).toMatchObject({ status: JobStatus.PENDING, settledDependencies: [outside._id] });
  });

  it('deletes a flow still staged after operationTimeout (root first), and not a moment before', async () => {
    const db = await getDb();
    const { sweep, store, collection, clock } = await sweepOf(db);
    const rootId = new ObjectId();
    const leaf = await store({ status: STAGED, flowId: rootId });
    await store({ _id: rootId, status: STAGED, flowId: rootId, dependsOn: [leaf._id] });
    const orphanRoot = new ObjectId();
    await store({ status: STAGED, flowId: orphanRoot });
    await sweep.sweepOnce();
    clock.advance(GRACE - 1);
    expect(await sweep.sweepOnce()).toMatchObject({ flowsDiscarded: 0 });
    expect(await collection.countDocuments({})).toBe(3);
    clock.advance(1);
    expect(await sweep.sweepOnce()).toMatchObject({ flowsDiscarded: 2 });
    expect(await collection.countDocuments({})).toBe(0);
  });

  it('a staged root that goes live before it is deleted: the flow is made live, nothing deleted', async () => {
    const db = await getDb();
    const rootId = new ObjectId();
    // Counted from the second sweep: its reads are untold, unlinked, dead letters, staged, roots.
    let findsOfSecondSweep: number | undefined;
    const { sweep, store, get, clock, collection } = await sweepOf(db, (plain) =>
      withRace(plain, {
        after: 'find',
        call: 'every',
        meddle: async () => {
          if (findsOfSecondSweep === undefined) return;
          findsOfSecondSweep += 1;
          // Right after the sweep read the root as staged, before it deletes it: the root goes live.
          if (findsOfSecondSweep === 5) await plain.updateOne({ _id: rootId }, { $set: { status: JobStatus.WAITING } });
        },
      }),
    );
    const leaf = await store({ status: STAGED, flowId: rootId });
    await store({ _id: rootId, status: STAGED, flowId: rootId, dependsOn: [leaf._id] });
    await sweep.sweepOnce();
    clock.advance(GRACE);
    findsOfSecondSweep = 0;
    expect(await sweep.sweepOnce()).toMatchObject({ flowsDiscarded: 0, flowsMadeLive: 1 });
    expect(await get(leaf._id)).toMatchObject({ status: JobStatus.PENDING });
    expect(await collection.countDocuments({})).toBe(2);
  });

  it('a staged flow is invisible to every operation', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const collection = db.collection<JobDocument>(monque.options.collectionName);
    const at = new Date();
    const id = new ObjectId();
    await collection.insertOne({
      _id: id,
      name: 'hidden',
      data: {},
      status: STAGED,
      flowId: id,
      nextRunAt: at,
      lockedAt: null,
      failCount: 0,
      createdAt: at,
      updatedAt: at,
    });
    expect((await monque.getJobs()).jobs).toEqual([]);
    expect((await monque.getJobs({ name: 'hidden' })).jobs).toEqual([]);
    expect(await monque.countJobs()).toBe(0);
    expect(await monque.getJob(id)).toBeNull();
    expect((await monque.getStats()).total).toMatchObject({ pending: 0, waiting: 0 });
    expect(await monque.cancelJob(id)).toBeNull();
    expect(await monque.retryJob(id)).toBeNull();
    expect(await monque.deleteJob(id)).toBe(false);
    expect(await monque.deleteJobs({})).toEqual({ count: 0 });
    expect(await collection.countDocuments({ _id: id, status: STAGED })).toBe(1);
  });
});
