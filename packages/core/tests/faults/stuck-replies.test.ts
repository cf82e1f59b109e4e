/**
 * A round trip whose reply never comes (the server stopped answering on that connection, which
 * stays open): every engine round trip is bounded by `operationTimeout` (a lock renewal by what
 * the lock can afford), so one stuck reply never holds up the work behind it. The proxy holds the
 * reply of one matching command for a minute; the rest of the traffic flows.
 */
import type { WireCommand } from '@monque/test-backend';
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { MAX_BEATS_IN_FLIGHT } from '../../src/engine/heartbeat.js';
import { JobStatus } from '../../src/index.js';
import { faultyMonque, isOutcome, isRenewal } from '../helpers/faulty.js';
import { createMonque, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** Longer than any test here: the reply never comes while the test looks. */
const NEVER = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A read of the pause state (the `<collection>_control` collection). */
const isPauseRead = (command: WireCommand): boolean =>
  command.name === 'find' && typeof command.collection === 'string' && command.collection.endsWith('_control');

describe('an outcome write whose reply never comes', () => {
  it('does not hold up later outcomes; its job keeps its lock (no other instance runs it) and completes once', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    // operationTimeout longer than lockTimeout: the heartbeat must keep the pending outcome's lock.
    const timing = { lockTimeout: 2_000, heartbeatInterval: 300, staleCheckInterval: 100 };
    const { monque, proxy } = await faultyMonque(db, collectionName, {
      ...timing,
      operationTimeout: 3_000,
      instanceId: 'owner',
    });
    const watcher = createMonque(db, { ...timing, collectionName, instanceId: 'watcher' });
    const recovered: unknown[] = [];
    watcher.on('job:recovered', (event) => recovered.push(event));
    const runs = new Map<string, number>();
    monque.worker(
      'steady',
      (job) => {
        runs.set(job._id.toHexString(), (runs.get(job._id.toHexString()) ?? 0) + 1);
      },
      { concurrency: 5 },
    );
    let completed = 0;
    monque.on('job:complete', () => {
      completed += 1;
    });
    const stuck = proxy.delayReplies(isOutcome, NEVER);
    await monque.start();
    await watcher.start();
    await monque.enqueue('steady', { first: true });
    await stuck.firstHit;
    const later = await monque.enqueueMany(Array.from({ length: 4 }, (_, i) => ({ name: 'steady', data: { i } })));
    await waitUntil(
      async () => (await jobsOf(db, monque).countDocuments({ status: JobStatus.COMPLETED })) === 5 && completed === 5,
      'every outcome to be written and reported, the stuck one retried',
      { timeoutMs: 12_000 },
    );
    await monque.stop();
    await watcher.stop();
    expect(later).toHaveLength(4);
    expect([...runs.values()]).toEqual([1, 1, 1, 1, 1]);
    expect(recovered).toEqual([]);
    expect(await jobsOf(db, monque).countDocuments({ failCount: { $gt: 0 } })).toBe(0);
  });
});

describe('a result the database cannot store', () => {
  // An ObjectId of another major version of the BSON library (as another copy of the driver hands
  // out): the driver refuses to serialise it, a refusal no retry can cure.
  const foreignObjectId = () => ({
    _bsontype: 'ObjectId',
    [Symbol.for('@@mdb.bson.version')]: 1,
    id: Buffer.alloc(12, 1),
  });

  it('alone in its write: the job fails for good at once (UnrecoverableError), never retried', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const errors: Error[] = [];
    monque.on('job:error', ({ error }) => errors.push(error));
    const completions: unknown[] = [];
    monque.on('job:complete', (event) => completions.push(event));
    monque.worker('foreign', () => ({ userId: foreignObjectId() }));
    const job = await monque.enqueue('foreign', {}, { maxRetries: 5 });
    const failed = nextEvent(monque, 'job:fail');
    await monque.start();
    const { error, willRetry } = await failed;
    await sleep(300);
    await monque.stop();
    expect(willRetry).toBe(false);
    expect(error.name).toBe('UnrecoverableError');
    expect(error.message).toMatch(/the handler's result could not be stored/);
    expect(completions).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.FAILED,
      failReason: expect.stringMatching(/the handler's result could not be stored/),
    });
  });

  it('in a batch: only that job fails (never reported completed without its result); the others complete', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const completions: unknown[] = [];
    monque.on('job:complete', ({ result }) => completions.push(result));
    let release: () => void = () => {};
    const together = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = 0;
    monque.worker<{ foreign: boolean; i: number }>(
      'mixed',
      async (job) => {
        started += 1;
        if (started === 3) release();
        await together;
        return job.data.foreign ? { userId: foreignObjectId() } : { ok: job.data.i };
      },
      { concurrency: 3 },
    );
    const [bad, ...good] = await monque.enqueueMany([
      { name: 'mixed', data: { foreign: true, i: 0 } },
      { name: 'mixed', data: { foreign: false, i: 1 } },
      { name: 'mixed', data: { foreign: false, i: 2 } },
    ]);
    const failed = nextEvent(monque, 'job:fail');
    await monque.start();
    const { error, willRetry } = await failed;
    await waitUntil(() => completions.length === 2, 'the two others to complete');
    await monque.stop();
    expect(willRetry).toBe(false);
    expect(error.message).toMatch(/the handler's result could not be stored/);
    expect(completions).toEqual(expect.arrayContaining([{ ok: 1 }, { ok: 2 }]));
    expect(await jobsOf(db, monque).findOne({ _id: bad?._id })).toMatchObject({ status: JobStatus.FAILED });
    for (const job of good) {
      expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({ status: JobStatus.COMPLETED });
    }
  });
});

describe('a pause-state read whose reply never comes', () => {
  it('the claim loop goes on after operationTimeout: the due jobs run', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { operationTimeout: 1_000 });
    let runs = 0;
    monque.worker('waiting', () => {
      runs += 1;
    });
    await monque.enqueueMany(Array.from({ length: 3 }, (_, i) => ({ name: 'waiting', data: { i } })));
    const stuck = proxy.delayReplies(isPauseRead, NEVER);
    await monque.start();
    await stuck.firstHit;
    await waitUntil(() => runs === 3, 'the due jobs to run after the stuck read gave up', { timeoutMs: 8_000 });
    await monque.stop();
    expect(runs).toBe(3);
  });
});

describe('a lock renewal whose reply never comes', () => {
  it('does not hold up the next beats: with lockTimeout < operationTimeout, no other instance runs the job', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const timing = { lockTimeout: 2_000, heartbeatInterval: 400, staleCheckInterval: 100 };
    const { monque: owner, proxy } = await faultyMonque(db, collectionName, {
      ...timing,
      operationTimeout: 30_000,
      instanceId: 'owner',
    });
    const watcher = createMonque(db, { ...timing, collectionName, instanceId: 'watcher' });
    const runs: string[] = [];
    let aborted = false;
    owner.worker('long', async (_job, { signal }) => {
      runs.push('owner');
      await sleep(3_500);
      aborted = signal.aborted;
    });
    watcher.worker('long', () => {
      runs.push('watcher');
    });
    const job = await owner.enqueue('long', {});
    const stuck = proxy.delayReplies(isRenewal, NEVER);
    const done = nextEvent(owner, 'job:complete');
    await owner.start();
    await stuck.firstHit;
    await watcher.start();
    await done;
    await owner.stop();
    await watcher.stop();
    expect(runs).toEqual(['owner']);
    expect(aborted).toBe(false);
    expect(await jobsOf(db, owner).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.COMPLETED,
      failCount: 0,
    });
  });

  it('nor do several: renewals stuck as long as the lock lasts never give two runs at once (the owner lets go first)', async () => {
    // Four stuck renewals (as many as may wait at once) leave the lock unrenewed for lockTimeout:
    // the watcher may then recover the job, so the owner must have aborted its handler before.
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const timing = { lockTimeout: 2_000, heartbeatInterval: 300, staleCheckInterval: 100 };
    const { monque: owner, proxy } = await faultyMonque(db, collectionName, {
      ...timing,
      operationTimeout: 30_000,
      instanceId: 'owner',
    });
    const watcher = createMonque(db, { ...timing, collectionName, instanceId: 'watcher' });
    const runs: { by: string; start: number; end?: number }[] = [];
    owner.worker('long', async (_job, { signal }) => {
      const run: { by: string; start: number; end?: number } = { by: 'owner', start: Date.now() };
      runs.push(run);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 4_500);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      run.end = Date.now();
      if (signal.aborted) throw signal.reason;
    });
    watcher.worker('long', () => {
      runs.push({ by: 'watcher', start: Date.now(), end: Date.now() });
    });
    const job = await owner.enqueue('long', {});
    const stuck = proxy.delayReplies(isRenewal, NEVER, { times: MAX_BEATS_IN_FLIGHT });
    await owner.start();
    await stuck.firstHit;
    await watcher.start();
    await waitUntil(
      async () => (await jobsOf(db, owner).findOne({ _id: job._id }))?.status === JobStatus.COMPLETED,
      'the job to complete',
      { timeoutMs: 15_000 },
    );
    await owner.stop();
    await watcher.stop();
    for (const [index, run] of runs.entries()) {
      for (const later of runs.slice(index + 1)) {
        expect(later.start, `${later.by} started while ${run.by} still ran`).toBeGreaterThanOrEqual(
          run.end ?? Number.POSITIVE_INFINITY,
        );
      }
    }
  });
});
