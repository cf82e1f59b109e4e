/**
 * The claimer's bookkeeping of claims whose reply is lost or late, on a real collection: a claim
 * token stays known until its command has settled AND its jobs have been looked up (or given
 * back), so a claim applied after it timed out still has its jobs found; a late claim that
 * settles wakes the poller once; a claim answered in time leaves nothing behind. The claim write
 * is held before or after the server (a gate the test opens), with a claim timeout of 100 ms.
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import type { Collection } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { Claimer } from '../../src/engine/claimer.js';
import { PauseGate } from '../../src/engine/pause-gate.js';
import { JobStatus } from '../../src/job.js';
import { ClaimStore } from '../../src/store/claim-store.js';
import { IndexManager } from '../../src/store/indexes.js';
import { InsertStore } from '../../src/store/insert-store.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { useTestDb } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';

const getDb = useTestDb(import.meta.url);
const T0 = new Date('2030-01-01T00:00:00Z');
const ONE_JOB = [{ name: 'a', limit: 1 }];

/** A gate the test opens; until then, held calls wait. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/**
 * `collection` whose `findOneAndUpdate` (a one-job claim) waits for `held` before it is sent
 * (`'request'`) or before its reply is passed on (`'reply'`); `fail` turns the reply into an error.
 */
function holdingClaims(
  collection: Collection<JobDocument>,
  held: Promise<void>,
  where: 'request' | 'reply',
  fail = false,
): Collection<JobDocument> {
  return new Proxy(collection, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== 'findOneAndUpdate' || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (where === 'request') await held;
        const reply = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        if (where === 'reply') await held;
        if (fail) throw new Error('the connection closed before the reply');
        return reply;
      };
    },
  });
}

async function setup(hold?: { held: Promise<void>; where: 'request' | 'reply'; fail?: boolean }) {
  const db = await getDb();
  const collection = db.collection<JobDocument>(freshCollectionName(db));
  await new IndexManager(collection, []).ensure();
  await new InsertStore(collection).insertOne({ name: 'a', data: {}, nextRunAt: new Date(T0.getTime() - 1) }, T0);
  let lateClaims = 0;
  const store = new ClaimStore(hold ? holdingClaims(collection, hold.held, hold.where, hold.fail) : collection);
  const claimer = new Claimer({
    store,
    owner: 'me',
    pauses: new PauseGate(async () => [], 1_000, new TestClock(T0)),
    busyIds: () => [],
    timeout: 100,
    onLateClaim: () => {
      lateClaims += 1;
    },
    giveBack: (tokens) => store.release('me', tokens, T0),
  });
  const statusOfA = async () => (await collection.findOne({ name: 'a' }))?.status;
  return { claimer, collection, lateClaims: () => lateClaims, statusOfA };
}

describe('claims answered in time', () => {
  it('leave nothing unresolved and wake nobody', async () => {
    const { claimer, lateClaims } = await setup();
    const turn = await claimer.claim(ONE_JOB, T0, new Set());
    expect(turn.jobs).toHaveLength(1);
    expect(claimer.hasUnresolved).toBe(false);
    expect(lateClaims()).toBe(0);
  });
});

describe('a claim whose reply is late', () => {
  it('is looked up by its token until it settled; settling wakes the poller once; then it is forgotten', async () => {
    const { opened, open } = gate();
    const { claimer, lateClaims } = await setup({ held: opened, where: 'reply' });
    await expect(claimer.claim(ONE_JOB, T0, new Set())).rejects.toThrow(/claiming jobs/);
    expect(claimer.hasUnresolved).toBe(true);
    // Applied on the server, not settled here: found, and still remembered.
    expect(await claimer.resolveLost()).toHaveLength(1);
    expect(claimer.hasUnresolved).toBe(true);
    expect(lateClaims()).toBe(0);
    open();
    await waitUntil(() => lateClaims() > 0, 'the late claim to settle');
    expect(lateClaims()).toBe(1);
    expect(claimer.hasUnresolved).toBe(true);
    // Settled: looked up once more, then forgotten.
    expect(await claimer.resolveLost()).toHaveLength(1);
    expect(claimer.hasUnresolved).toBe(false);
  });

  it('whose reply fails (applied, connection lost): settled at once, found by the next look-up, then forgotten', async () => {
    const { opened, open } = gate();
    open();
    const { claimer, lateClaims } = await setup({ held: opened, where: 'reply', fail: true });
    await expect(claimer.claim(ONE_JOB, T0, new Set())).rejects.toThrow(/connection closed/);
    expect(claimer.hasUnresolved).toBe(true);
    expect(await claimer.resolveLost()).toHaveLength(1);
    expect(claimer.hasUnresolved).toBe(false);
    expect(lateClaims()).toBe(0);
  });
});

describe('giving back the jobs of unresolved claims (at stop)', () => {
  it('a claim applied after it timed out: its token is kept until it settled, so its job is given back then', async () => {
    const { opened, open } = gate();
    const { claimer, statusOfA } = await setup({ held: opened, where: 'request' });
    await expect(claimer.claim(ONE_JOB, T0, new Set())).rejects.toThrow(/claiming jobs/);
    // Not applied yet: nothing to give back, the token is kept.
    await claimer.releaseLost(Number.POSITIVE_INFINITY);
    expect(claimer.hasUnresolved).toBe(true);
    expect(await statusOfA()).toBe(JobStatus.PENDING);
    open();
    await waitUntil(async () => (await statusOfA()) === JobStatus.PROCESSING, 'the held claim to be applied');
    // Settled once the reply came back (the same round trip).
    await new Promise((resolve) => setTimeout(resolve, 20));
    await claimer.releaseLost(Number.POSITIVE_INFINITY);
    expect(await statusOfA()).toBe(JobStatus.PENDING);
    expect(claimer.hasUnresolved).toBe(false);
  });
});

describe('a claim of a turn that stop() stopped or gave up on', () => {
  it('is not sent once the turn may no longer claim', async () => {
    const { claimer, statusOfA } = await setup();
    const turn = await claimer.claim(ONE_JOB, T0, new Set(), { mayClaim: () => false, current: () => true });
    expect(turn.jobs).toEqual([]);
    expect(claimer.hasUnresolved).toBe(false);
    expect(await statusOfA()).toBe(JobStatus.PENDING);
  });

  it('that settles after the turn went stale: no jobs handed on, the token kept, so stop gives them back', async () => {
    const { claimer, statusOfA } = await setup();
    let current = true;
    const claiming = claimer.claim(ONE_JOB, T0, new Set(), { mayClaim: () => true, current: () => current });
    current = false;
    expect((await claiming).jobs).toEqual([]);
    expect(await statusOfA()).toBe(JobStatus.PROCESSING);
    expect(claimer.hasUnresolved).toBe(true);
    // Nor does a stale look-up forget it.
    expect(await claimer.resolveLost({ mayClaim: () => false, current: () => false })).toEqual([]);
    expect(claimer.hasUnresolved).toBe(true);
    await claimer.releaseLost(Number.POSITIVE_INFINITY);
    expect(await statusOfA()).toBe(JobStatus.PENDING);
  });
});
