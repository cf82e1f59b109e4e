/**
 * The claim's guards, checked directly against the database with a fixed `now`: each of the three
 * claim paths (`claimNext`: one `findAndModify` for a single free slot; `claimById`: one known job;
 * `claimIds`: one `updateMany`) takes a job only while it is `pending`, of the asked name, and due
 * (`nextRunAt <= now`, the boundary included), never one of the busy ids; and giving jobs back
 * touches only the jobs of the given owner's claims.
 */
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/job.js';
import { type ClaimStamp, ClaimStore } from '../../src/store/claim-store.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { openCommandLog } from '../helpers/command-log.js';
import { useTestDb } from '../helpers/monque.js';
import { CONTROL_RETENTION, freshStores, heldJob, plus, type Stores, stored, storeJob } from './stores.js';

const getDb = useTestDb(import.meta.url);
const NOW = new Date('2030-01-01T00:00:00Z');
const stamp = (token = 'claim-1', now = NOW, owner = 'me'): ClaimStamp => ({ owner, token, now });

/** One due `pending` job of each status but `pending`, all named `task`. */
async function jobsInEveryOtherStatus(stores: Stores): Promise<JobDocument[]> {
  const statuses = [JobStatus.PROCESSING, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED];
  return Promise.all(statuses.map((status) => storeJob(stores, plus(NOW, -1_000), { status })));
}

describe('claimNext (single free slot, one findAndModify)', () => {
  it('due-time guard: a job due 1 ms after now is not claimed; one due exactly now is', async () => {
    const stores = await freshStores(await getDb());
    const later = await storeJob(stores, plus(NOW, 1));
    expect(await stores.claims.claimNext('task', stamp(), [])).toBeNull();
    expect((await stored(stores, later._id)).status).toBe(JobStatus.PENDING);
    const due = await storeJob(stores, NOW);
    const claimed = await stores.claims.claimNext('task', stamp(), []);
    expect(claimed?._id).toEqual(due._id);
    expect((await stored(stores, later._id)).status).toBe(JobStatus.PENDING);
  });

  it('status guard: only a pending job is claimed, whatever else is due', async () => {
    const stores = await freshStores(await getDb());
    const others = await jobsInEveryOtherStatus(stores);
    expect(await stores.claims.claimNext('task', stamp(), [])).toBeNull();
    for (const other of others) expect(await stored(stores, other._id)).toEqual(other);
  });

  it('name guard: a due job of another name is not claimed', async () => {
    const stores = await freshStores(await getDb());
    const other = await storeJob(stores, NOW, { name: 'other' });
    expect(await stores.claims.claimNext('task', stamp(), [])).toBeNull();
    expect(await stored(stores, other._id)).toEqual(other);
  });

  it('busy-id guard: a job this instance already runs is skipped, the next one taken', async () => {
    const stores = await freshStores(await getDb());
    const busy = await storeJob(stores, plus(NOW, -2));
    const next = await storeJob(stores, plus(NOW, -1));
    const claimed = await stores.claims.claimNext('task', stamp(), [busy._id]);
    expect(claimed?._id).toEqual(next._id);
    expect((await stored(stores, busy._id)).status).toBe(JobStatus.PENDING);
  });

  it('claim order: the highest priority first, then the longest due', async () => {
    const stores = await freshStores(await getDb());
    const oldLow = await storeJob(stores, plus(NOW, -5_000), { priority: 0 });
    const newHigh = await storeJob(stores, plus(NOW, -1_000), { priority: 5 });
    const oldHigh = await storeJob(stores, plus(NOW, -3_000), { priority: 5 });
    const order: string[] = [];
    for (let n = 0; n < 3; n += 1) {
      order.push(((await stores.claims.claimNext('task', stamp(`claim-${n}`), [])) as JobDocument)._id.toHexString());
    }
    expect(order).toEqual([oldHigh, newHigh, oldLow].map((job) => job._id.toHexString()));
  });

  it('stamps the claim: processing, owner, token, lockedAt = startedAt = updatedAt = now, attempts + 1, returned as written', async () => {
    const stores = await freshStores(await getDb());
    const job = await storeJob(stores, plus(NOW, -1), { attempts: 2 });
    const claimed = await stores.claims.claimNext('task', stamp('token-x', NOW, 'owner-x'), []);
    const expected = {
      status: JobStatus.PROCESSING,
      owner: 'owner-x',
      claimToken: 'token-x',
      lockedAt: NOW,
      startedAt: NOW,
      updatedAt: NOW,
      attempts: 3,
    };
    expect(claimed).toMatchObject(expected);
    expect(await stored(stores, job._id)).toEqual(claimed);
  });
});

describe('claimById (one known job)', () => {
  it('due-time guard: a job due 1 ms after now is not claimed; one due exactly now is', async () => {
    const stores = await freshStores(await getDb());
    const later = await storeJob(stores, plus(NOW, 1));
    expect(await stores.claims.claimById(later, stamp())).toBeNull();
    expect(await stored(stores, later._id)).toEqual(later);
    const due = await storeJob(stores, NOW);
    expect(await stores.claims.claimById(due, stamp())).toMatchObject({
      status: JobStatus.PROCESSING,
      claimToken: 'claim-1',
    });
  });

  it("stamps the retry limit of the job's own name (claimNext and claimById alike)", async () => {
    const stores = await freshStores(await getDb());
    const claim = { ...stamp(), retryLimitOf: (name: string) => (name === 'picky' ? 2 : 9) };
    const byId = await storeJob(stores, NOW, { name: 'picky' });
    expect(await stores.claims.claimById(byId, claim)).toMatchObject({ retryLimit: 2 });
    await storeJob(stores, NOW, { name: 'picky' });
    expect(await stores.claims.claimNext('picky', claim, [])).toMatchObject({ retryLimit: 2 });
  });

  it('status guard: a job another claim took in between (or any non-pending job) is not taken again', async () => {
    const stores = await freshStores(await getDb());
    const taken = await heldJob(stores, plus(NOW, -1), 'someone-else', 'their-claim');
    expect(await stores.claims.claimById(taken, stamp())).toBeNull();
    expect(await stored(stores, taken._id)).toEqual(taken);
    for (const other of await jobsInEveryOtherStatus(stores)) {
      expect(await stores.claims.claimById(other, stamp())).toBeNull();
      expect(await stored(stores, other._id)).toEqual(other);
    }
  });

  it('id guard: claims that job only, not another due one', async () => {
    const stores = await freshStores(await getDb());
    const wanted = await storeJob(stores, NOW);
    const bystander = await storeJob(stores, plus(NOW, -1_000), { priority: 9 });
    expect((await stores.claims.claimById(wanted, stamp()))?._id).toEqual(wanted._id);
    expect(await stored(stores, bystander._id)).toEqual(bystander);
  });
});

describe('claimIds (several known jobs, one updateMany)', () => {
  it('due-time guard: takes the jobs due at or before now, not one due 1 ms later', async () => {
    const stores = await freshStores(await getDb());
    const atNow = await storeJob(stores, NOW);
    const before = await storeJob(stores, plus(NOW, -1));
    const later = await storeJob(stores, plus(NOW, 1));
    expect(await stores.claims.claimIds([atNow, before, later], stamp())).toBe(2);
    expect((await stored(stores, atNow._id)).status).toBe(JobStatus.PROCESSING);
    expect((await stored(stores, before._id)).status).toBe(JobStatus.PROCESSING);
    expect(await stored(stores, later._id)).toEqual(later);
  });

  it('status guard: jobs taken meanwhile by another claim are not taken again, and not counted', async () => {
    const stores = await freshStores(await getDb());
    const free = await storeJob(stores, NOW);
    const taken = await heldJob(stores, NOW, 'someone-else', 'their-claim');
    const others = await jobsInEveryOtherStatus(stores);
    expect(await stores.claims.claimIds([free, taken, ...others], stamp())).toBe(1);
    expect(await stored(stores, taken._id)).toEqual(taken);
    for (const other of others) expect(await stored(stores, other._id)).toEqual(other);
  });

  it('id guard: only the ids given are claimed', async () => {
    const stores = await freshStores(await getDb());
    const [a, b, bystander] = await Promise.all([storeJob(stores, NOW), storeJob(stores, NOW), storeJob(stores, NOW)]);
    expect(await stores.claims.claimIds([a as JobDocument, b as JobDocument], stamp())).toBe(2);
    expect(await stored(stores, (bystander as JobDocument)._id)).toEqual(bystander);
  });

  it("stamps each name's retry limit in one update command, also when the names have different limits", async () => {
    const db = await getDb();
    const log = await openCommandLog(db.databaseName);
    try {
      const stores = await freshStores(db);
      const claims = new ClaimStore(log.db.collection<JobDocument>(stores.collection.collectionName));
      const [a1, a2, b1, c1] = await Promise.all(['a', 'a', 'b', 'c'].map((name) => storeJob(stores, NOW, { name })));
      const limits: Record<string, number> = { a: 1, b: 7, c: 1 };
      const claim = { ...stamp(), retryLimitOf: (name: string) => limits[name] as number };
      log.clear();
      expect(await claims.claimIds([a1, a2, b1, c1] as JobDocument[], claim)).toBe(4);
      expect(log.commandNames()).toEqual(['update']);
      for (const job of [a1, a2, b1, c1] as JobDocument[]) {
        const claimed = await stored(stores, job._id);
        expect(claimed).toMatchObject({ status: JobStatus.PROCESSING, retryLimit: limits[job.name] });
        expect(claims.applyClaim(job, claim)).toEqual(claimed);
      }
    } finally {
      await log.close();
    }
  });

  it('applyClaim predicts exactly what the claim wrote (so the claimer need not read it back)', async () => {
    const stores = await freshStores(await getDb());
    const first = await storeJob(stores, NOW, { attempts: 4 });
    const second = await storeJob(stores, NOW);
    const legacy = await storeJob(stores, NOW);
    await stores.collection.updateOne({ _id: legacy._id }, { $unset: { attempts: '' } });
    const withoutAttempts = await stored(stores, legacy._id);
    const claim = stamp('token-y', NOW, 'owner-y');
    expect(await stores.claims.claimIds([first, second, legacy], claim)).toBe(3);
    for (const before of [first, second, withoutAttempts]) {
      expect(stores.claims.applyClaim(before, claim)).toEqual(await stored(stores, before._id));
    }
  });
});

describe('findDue (the candidates of a claim)', () => {
  it('reads only due pending jobs of the names asked, in claim order, at most `limit`, none of the busy ids', async () => {
    const stores = await freshStores(await getDb());
    const a1 = await storeJob(stores, plus(NOW, -3), { name: 'a' });
    const b1 = await storeJob(stores, plus(NOW, -2), { name: 'b', priority: 1 });
    const a2 = await storeJob(stores, NOW, { name: 'a' });
    const busy = await storeJob(stores, plus(NOW, -9), { name: 'a' });
    await storeJob(stores, plus(NOW, 1), { name: 'a' });
    await storeJob(stores, NOW, { name: 'c' });
    await heldJob(stores, plus(NOW, -9), 'someone', 'their-claim', { name: 'a' });
    const ids = (docs: JobDocument[]) => docs.map((doc) => doc._id.toHexString());
    expect(ids(await stores.claims.findDue(['a', 'b'], 10, NOW, [busy._id]))).toEqual(ids([b1, a1, a2]));
    expect(ids(await stores.claims.findDue(['a', 'b'], 2, NOW, [busy._id]))).toEqual(ids([b1, a1]));
    expect(ids(await stores.claims.findDue(['a'], 10, NOW, []))).toEqual(ids([busy, a1, a2]));
  });
});

describe('findClaimed (the jobs of claims whose reply was lost)', () => {
  it('owner, status and token guards: finds the jobs of these claims still held by this owner', async () => {
    const stores = await freshStores(await getDb());
    const mine1 = await heldJob(stores, NOW, 'me', 'claim-1');
    const mine2 = await heldJob(stores, NOW, 'me', 'claim-2', { priority: 3 });
    await heldJob(stores, NOW, 'me', 'claim-3');
    await heldJob(stores, NOW, 'someone-else', 'claim-1');
    await storeJob(stores, NOW, { status: JobStatus.COMPLETED, owner: 'me', claimToken: 'claim-1' });
    const ids = (docs: JobDocument[]) => docs.map((doc) => doc._id.toHexString());
    expect(ids(await stores.claims.findClaimed('me', ['claim-1']))).toEqual(ids([mine1]));
    expect(ids(await stores.claims.findClaimed('me', ['claim-1', 'claim-2']))).toEqual(ids([mine2, mine1]));
  });
});

describe('release (jobs given back unstarted)', () => {
  it('owner, token and status guards: only jobs of these claims, held by this owner, go back to pending', async () => {
    const stores = await freshStores(await getDb());
    const mine = await heldJob(stores, NOW, 'me', 'claim-1', { attempts: 3 });
    const otherClaim = await heldJob(stores, NOW, 'me', 'claim-2');
    const otherOwner = await heldJob(stores, NOW, 'someone-else', 'claim-1');
    const finished = await storeJob(stores, NOW, { status: JobStatus.COMPLETED, owner: 'me', claimToken: 'claim-1' });
    const later = plus(NOW, 500);
    expect(await stores.claims.release('me', ['claim-1'], later)).toBe(1);
    const released = await stored(stores, mine._id);
    expect(released).toMatchObject({
      status: JobStatus.PENDING,
      lockedAt: null,
      claimToken: null,
      updatedAt: later,
      attempts: 2,
      nextRunAt: NOW,
    });
    expect(released).not.toHaveProperty('owner');
    for (const untouched of [otherClaim, otherOwner, finished]) {
      expect(await stored(stores, untouched._id)).toEqual(untouched);
    }
  });

  it('several claims at once, and only the ids given when given', async () => {
    const stores = await freshStores(await getDb());
    const a = await heldJob(stores, NOW, 'me', 'claim-1');
    const b = await heldJob(stores, NOW, 'me', 'claim-2');
    const kept = await heldJob(stores, NOW, 'me', 'claim-2');
    expect(await stores.claims.release('me', ['claim-1', 'claim-2'], NOW, [a._id, b._id])).toBe(2);
    expect((await stored(stores, a._id)).status).toBe(JobStatus.PENDING);
    expect((await stored(stores, b._id)).status).toBe(JobStatus.PENDING);
    expect(await stored(stores, kept._id)).toEqual(kept);
  });

  it('cancellation guard: a job whose cancellation was requested ends cancelled (retention from the store), never pending', async () => {
    const db = await getDb();
    const stores = await freshStores(db);
    const claims = new ClaimStore(stores.collection, CONTROL_RETENTION);
    const asked = plus(NOW, -100);
    const cancelled = await heldJob(stores, NOW, 'me', 'claim-1', {
      cancelRequestedAt: asked,
      cancelReason: 'not needed',
      uniqueKey: 'k',
      activeKey: 'u:k',
    });
    const released = await heldJob(stores, NOW, 'me', 'claim-1');
    const later = plus(NOW, 500);
    expect(await claims.release('me', ['claim-1'], later)).toBe(2);
    const stopped = await stored(stores, cancelled._id);
    expect(stopped).toMatchObject({
      status: JobStatus.CANCELLED,
      lockedAt: null,
      finishedAt: later,
      updatedAt: later,
      expireAt: plus(later, CONTROL_RETENTION.cancelled),
      cancelRequestedAt: asked,
      cancelReason: 'not needed',
    });
    expect(stopped).not.toHaveProperty('owner');
    expect(stopped).not.toHaveProperty('activeKey');
    expect(await stored(stores, released._id)).toMatchObject({ status: JobStatus.PENDING, claimToken: null });
  });

  it('no tokens: nothing to release, nothing written', async () => {
    const stores = await freshStores(await getDb());
    const held = await heldJob(stores, NOW, 'me', 'claim-1');
    expect(await stores.claims.release('me', [], NOW)).toBe(0);
    expect(await stored(stores, held._id)).toEqual(held);
  });
});
