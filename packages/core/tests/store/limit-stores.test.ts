/**
 * The guards of flow control, checked directly against the database with a fixed `now`:
 * - a slot of `globalConcurrency` (`groupConcurrency`) is held by at most one running job (the
 *   unique slot indexes), taken only by a claim guarded by status and due time, and every write
 *   that ends a run (outcome, release) gives it back;
 * - a rate record changes only under the version it was read at (two instances never both take
 *   the last starts), a give-back only takes back starts still there, a block only moves later;
 * - reads across groups stay within their range of groups, in group order then claim order.
 */
import { freshCollectionName } from '@monque/test-backend';
import { afterAll, describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/job.js';
import type { ClaimStamp } from '../../src/store/claim-store.js';
import { IndexManager } from '../../src/store/indexes.js';
import { LimitStore, type Reservation, rateIdOf } from '../../src/store/limit-store.js';
import { LimitedClaimStore } from '../../src/store/limited-claim-store.js';
import { PauseStore } from '../../src/store/pause-store.js';
import { useTestDb } from '../helpers/monque.js';
import { freshStores, heldJob, plus, type Stores, stored, storeJob } from './stores.js';

const getDb = useTestDb(import.meta.url);
const NOW = new Date('2030-01-01T00:00:00Z');
const stamp = (token = 'claim-1', now = NOW, owner = 'me'): ClaimStamp => ({ owner, token, now });

async function flowStores(): Promise<Stores & { flow: LimitedClaimStore }> {
  const stores = await freshStores(await getDb());
  await new IndexManager(stores.collection, []).ensureSlots();
  return { ...stores, flow: new LimitedClaimStore(stores.collection, stores.claims) };
}

const limitStores: LimitStore[] = [];
afterAll(async () => {
  for (const store of limitStores) await store.collection.deleteMany({});
});

async function limitStore(): Promise<LimitStore> {
  const db = await getDb();
  const store = new LimitStore(db, freshCollectionName(db));
  limitStores.push(store);
  return store;
}

describe('slots (LimitedClaimStore.claim)', () => {
  it('unique slot guard: a slot held by a running job is refused to a second claim, which takes nothing', async () => {
    const stores = await flowStores();
    await heldJob(stores, NOW, 'other', 'their-claim', { limitSlot: 0 });
    const job = await storeJob(stores, NOW);
    expect(await stores.flow.claim([{ id: job._id, name: 'task', limitSlot: 0 }], stamp())).toBeUndefined();
    expect(await stored(stores, job._id)).toMatchObject({ status: JobStatus.PENDING, attempts: 0 });
    expect(await stores.flow.claim([{ id: job._id, name: 'task', limitSlot: 1 }], stamp())).toBe(1);
    expect(await stored(stores, job._id)).toMatchObject({
      status: JobStatus.PROCESSING,
      limitSlot: 1,
      claimToken: 'claim-1',
    });
  });

  it('unique group slot guard: one slot number per group, the same number in two groups is fine', async () => {
    const stores = await flowStores();
    await heldJob(stores, NOW, 'other', 'their-claim', { group: 'a', groupSlot: 0 });
    const inA = await storeJob(stores, NOW, { group: 'a' });
    const inB = await storeJob(stores, NOW, { group: 'b' });
    expect(await stores.flow.claim([{ id: inA._id, name: 'task', groupSlot: 0 }], stamp('c1'))).toBeUndefined();
    expect(await stores.flow.claim([{ id: inB._id, name: 'task', groupSlot: 0 }], stamp('c2'))).toBe(1);
    expect((await stored(stores, inA._id)).status).toBe(JobStatus.PENDING);
  });

  it('status and due-time guards: a job due 1 ms after now, or not pending, is not claimed with a slot', async () => {
    const stores = await flowStores();
    const later = await storeJob(stores, plus(NOW, 1));
    const done = await storeJob(stores, NOW, { status: JobStatus.COMPLETED });
    const due = await storeJob(stores, NOW);
    const taken = await stores.flow.claim(
      [
        { id: later._id, name: 'task', limitSlot: 0 },
        { id: done._id, name: 'task', limitSlot: 1 },
        { id: due._id, name: 'task', limitSlot: 2 },
      ],
      stamp(),
    );
    expect(taken).toBe(1);
    expect(await stored(stores, later._id)).toEqual(later);
    expect(await stored(stores, done._id)).toEqual(done);
    expect(await stored(stores, due._id)).toMatchObject({ status: JobStatus.PROCESSING, limitSlot: 2 });
  });

  it('without slots, one guarded updateMany (the plain claim)', async () => {
    const stores = await flowStores();
    const a = await storeJob(stores, NOW, { group: 'g' });
    const later = await storeJob(stores, plus(NOW, 1), { group: 'g' });
    expect(
      await stores.flow.claim(
        [
          { id: a._id, name: 'task' },
          { id: later._id, name: 'task' },
        ],
        stamp(),
      ),
    ).toBe(1);
    expect((await stored(stores, a._id)).limitSlot).toBeUndefined();
  });

  it('a run that ends gives its slots back: a completed outcome and a release both remove them', async () => {
    const stores = await flowStores();
    const one = await storeJob(stores, NOW, { group: 'g' });
    const two = await storeJob(stores, NOW, { group: 'g' });
    expect(await stores.flow.claim([{ id: one._id, name: 'task', limitSlot: 0, groupSlot: 0 }], stamp('c1'))).toBe(1);
    expect(await stores.flow.claim([{ id: two._id, name: 'task', limitSlot: 1, groupSlot: 1 }], stamp('c2'))).toBe(1);
    const [held] = await stores.claims.findClaimed('me', ['c1']);
    await stores.outcomes.apply([
      {
        job: held as never,
        transition: {
          status: JobStatus.COMPLETED,
          at: plus(NOW, 5),
          completedAt: plus(NOW, 5),
          finishedAt: plus(NOW, 5),
        },
        fence: { claimToken: 'c1' },
      },
    ]);
    expect(await stores.claims.release('me', ['c2'], plus(NOW, 5))).toBe(1);
    for (const id of [one._id, two._id]) {
      const doc = await stored(stores, id);
      expect(doc.limitSlot).toBeUndefined();
      expect(doc.groupSlot).toBeUndefined();
    }
    // Both numbers are free again.
    const three = await storeJob(stores, NOW, { group: 'g' });
    expect(await stores.flow.claim([{ id: three._id, name: 'task', limitSlot: 0, groupSlot: 1 }], stamp('c3'))).toBe(1);
  });

  it('a rate-limited outcome (uncharged) puts the attempt back and ends the slots', async () => {
    const stores = await flowStores();
    const job = await storeJob(stores, NOW);
    expect(await stores.flow.claim([{ id: job._id, name: 'task', limitSlot: 0 }], stamp())).toBe(1);
    const [held] = await stores.claims.findClaimed('me', ['claim-1']);
    expect(held?.attempts).toBe(1);
    await stores.outcomes.apply([
      {
        job: held as never,
        transition: { status: JobStatus.PENDING, at: plus(NOW, 5), nextRunAt: plus(NOW, 30_000), uncharged: true },
        fence: { claimToken: 'claim-1' },
      },
    ]);
    const doc = await stored(stores, job._id);
    expect(doc).toMatchObject({ status: JobStatus.PENDING, attempts: 0, failCount: 0, nextRunAt: plus(NOW, 30_000) });
    expect(doc.limitSlot).toBeUndefined();
  });
});

describe('reads (LimitedClaimStore)', () => {
  it('findDueInGroups: only due pending jobs of the name with a group in range, group by group, claim order within', async () => {
    const stores = await flowStores();
    const seed = (group: string | undefined, fields: Parameters<typeof storeJob>[2] = {}) =>
      storeJob(stores, plus(NOW, -1_000), { ...(group === undefined ? {} : { group }), ...fields });
    const a1 = await seed('a', { nextRunAt: plus(NOW, -5_000) });
    const a2 = await seed('a', { priority: 5 });
    const b1 = await seed('b');
    const c1 = await seed('c');
    await seed(undefined);
    await seed('b', { nextRunAt: plus(NOW, 1) });
    await seed('b', { status: JobStatus.PROCESSING });
    await seed('b', { name: 'other' });
    const ids = (docs: { _id: unknown }[]) => docs.map((doc) => String(doc._id));
    expect(ids(await stores.flow.findDueInGroups('task', { after: null }, 10, NOW, []))).toEqual(ids([a2, a1, b1, c1]));
    expect(ids(await stores.flow.findDueInGroups('task', { after: 'a' }, 10, NOW, []))).toEqual(ids([b1, c1]));
    expect(ids(await stores.flow.findDueInGroups('task', { after: null, upTo: 'b' }, 10, NOW, []))).toEqual(
      ids([a2, a1, b1]),
    );
    expect(ids(await stores.flow.findDueInGroups('task', { after: null }, 2, NOW, [a2._id]))).toEqual(ids([a1, b1]));
  });

  it('findRunning: the processing jobs of the name, with their groups and slots', async () => {
    const stores = await flowStores();
    await heldJob(stores, NOW, 'x', 't1', { group: 'a', limitSlot: 3, groupSlot: 0 });
    await heldJob(stores, NOW, 'x', 't2', { name: 'other', limitSlot: 0 });
    await storeJob(stores, NOW, { group: 'a' });
    expect(await stores.flow.findRunning('task')).toEqual([{ group: 'a', limitSlot: 3, groupSlot: 0 }]);
  });
});

describe('rate records (LimitStore)', () => {
  const reservation = (version: number, starts: Record<string, number>, group: string | null = null): Reservation => ({
    name: 'api',
    group,
    version,
    starts,
    expireAt: plus(NOW, 60_000),
  });

  it('version guard: a reservation made on a version read before another one is refused', async () => {
    const limits = await limitStore();
    expect(await limits.reserve([reservation(0, { e1: 1 })], 't1', NOW)).toEqual(new Set([rateIdOf('api', null)]));
    // A second instance read version 0 too: its insert collides, nothing of its is written.
    expect(await limits.reserve([reservation(0, { e1: 5 })], 't2', NOW)).toEqual(new Set());
    expect(await limits.reserve([reservation(2, { e1: 5 })], 't3', NOW)).toEqual(new Set());
    const [record] = await limits.readRates([rateIdOf('api', null)]);
    expect(record).toMatchObject({ version: 1, starts: { e1: 1 }, token: 't1' });
    expect(await limits.reserve([reservation(1, { e1: 2 })], 't4', NOW)).toEqual(new Set([rateIdOf('api', null)]));
    expect((await limits.readRates([rateIdOf('api', null)]))[0]).toMatchObject({ version: 2, starts: { e1: 2 } });
  });

  it('several records at once: a refused one is told apart from those written (read back by token)', async () => {
    const limits = await limitStore();
    await limits.reserve([reservation(0, { e1: 1 }, 'a')], 't0', NOW);
    const taken = await limits.reserve([reservation(0, { e1: 1 }, 'b'), reservation(0, { e1: 9 }, 'a')], 't1', NOW);
    expect(taken).toEqual(new Set([rateIdOf('api', 'b')]));
    expect((await limits.readRates([rateIdOf('api', 'a')]))[0]).toMatchObject({
      version: 1,
      starts: { e1: 1 },
      token: 't0',
    });
  });

  it('give-back guard: only starts still in the bucket are given back, and the version moves', async () => {
    const limits = await limitStore();
    await limits.reserve([reservation(0, { e1: 3 })], 't1', NOW);
    await limits.giveBack('api', null, 'e1', 4);
    expect((await limits.readRates([rateIdOf('api', null)]))[0]).toMatchObject({ version: 1, starts: { e1: 3 } });
    await limits.giveBack('api', null, 'e1', 2);
    expect((await limits.readRates([rateIdOf('api', null)]))[0]).toMatchObject({ version: 2, starts: { e1: 1 } });
  });

  it('block guard: a block only ever moves later, and bumps the version', async () => {
    const limits = await limitStore();
    await limits.block('api', 'g', plus(NOW, 30_000), NOW);
    await limits.block('api', 'g', plus(NOW, 10_000), NOW);
    const [record] = await limits.readRates([rateIdOf('api', 'g')]);
    expect(record).toMatchObject({ blockedUntil: plus(NOW, 30_000), version: 1, group: 'g' });
    await limits.block('api', 'g', plus(NOW, 40_000), NOW);
    expect((await limits.readRates([rateIdOf('api', 'g')]))[0]).toMatchObject({
      blockedUntil: plus(NOW, 40_000),
      version: 2,
    });
  });

  it("the records of one name's groups are read by a range of _id, not another name's", async () => {
    const limits = await limitStore();
    await limits.reserve([reservation(0, { e1: 1 }, 'a'), reservation(0, { e1: 1 }, null)], 't', NOW);
    await limits.reserve([{ ...reservation(0, { e1: 1 }, 'a'), name: 'api2' }], 't', NOW);
    const groups = (await limits.readRatesOf('api')).map((record) => record.group).sort();
    expect(groups).toEqual(['a', null].sort());
  });
});

describe('RateLimitError holds in the pause state', () => {
  it('a hold of a name such as __proto__ or constructor is read back as its own; a name never held has none', async () => {
    const db = await getDb();
    const pauses = new PauseStore(db, freshCollectionName(db));
    await pauses.hold('__proto__', plus(NOW, 30_000));
    await pauses.hold('constructor', plus(NOW, 10_000));
    const { holds } = await pauses.readGate();
    expect(Object.entries(holds).sort()).toEqual([
      ['__proto__', NOW.getTime() + 30_000],
      ['constructor', NOW.getTime() + 10_000],
    ]);
    expect(holds.toString).toBeUndefined();
    expect(holds.hasOwnProperty).toBeUndefined();
  });
});
