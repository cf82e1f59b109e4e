/**
 * The lock's guards, checked directly against the database with fixed times: a renewal touches a
 * job only while it is `processing`, held by this owner under the run's own claim token; what it
 * could not renew is reported as lost or as cancelled (and a cancelled run's lock is still kept
 * fresh). Progress writes are fenced the same way.
 */
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/job.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { useTestDb } from '../helpers/monque.js';
import { freshStores, heldJob, plus, stored, storeJob } from './stores.js';

const getDb = useTestDb(import.meta.url);
const NOW = new Date('2030-01-01T00:00:00Z');
const LATER = plus(NOW, 10_000);

const run = (job: JobDocument, token = job.claimToken as string) => ({ id: job._id, token });
const hex = (jobs: { _id: JobDocument['_id'] }[]) => jobs.map((job) => job._id.toHexString());

describe('LockStore.renew', () => {
  it('renews the locks of the runs this owner holds, under each run own claim', async () => {
    const stores = await freshStores(await getDb());
    const a = await heldJob(stores, NOW, 'me', 'claim-1');
    const b = await heldJob(stores, NOW, 'me', 'claim-1');
    const c = await heldJob(stores, NOW, 'me', 'claim-2');
    const report = await stores.locks.renew('me', [run(a), run(b), run(c)], LATER);
    expect(report).toEqual({ lost: [], cancelled: [] });
    for (const job of [a, b, c]) expect((await stored(stores, job._id)).lockedAt).toEqual(LATER);
  });

  it('owner guard: a job with the same id and claim token but recorded for another owner is not renewed, and reported lost', async () => {
    const stores = await freshStores(await getDb());
    const mine = await heldJob(stores, NOW, 'me', 'claim-1');
    const foreign = await heldJob(stores, NOW, 'someone-else', 'claim-1');
    const report = await stores.locks.renew('me', [run(mine), run(foreign)], LATER);
    expect(hex(report.lost.map((id) => ({ _id: id })))).toEqual(hex([foreign]));
    expect(report.cancelled).toEqual([]);
    expect(await stored(stores, foreign._id)).toEqual(foreign);
    expect((await stored(stores, mine._id)).lockedAt).toEqual(LATER);
  });

  it('claim-token guard: a job of this owner now held under another claim is not renewed, and reported lost', async () => {
    const stores = await freshStores(await getDb());
    const mine = await heldJob(stores, NOW, 'me', 'claim-1');
    const reclaimed = await heldJob(stores, NOW, 'me', 'a-later-claim');
    const report = await stores.locks.renew('me', [run(mine), run(reclaimed, 'claim-1')], LATER);
    expect(report.lost).toEqual([reclaimed._id]);
    expect(await stored(stores, reclaimed._id)).toEqual(reclaimed);
  });

  it('claim-token guard with several claims: each run is renewed only under its own token', async () => {
    const stores = await freshStores(await getDb());
    const a = await heldJob(stores, NOW, 'me', 'claim-1');
    const b = await heldJob(stores, NOW, 'me', 'claim-2');
    const report = await stores.locks.renew('me', [run(a, 'claim-2'), run(b, 'claim-1')], LATER);
    expect(hex(report.lost.map((id) => ({ _id: id })))).toEqual(hex([a, b]));
    expect(await stored(stores, a._id)).toEqual(a);
    expect(await stored(stores, b._id)).toEqual(b);
  });

  it('status guard: a job no longer processing (its outcome written, or given back) is not renewed, and reported lost', async () => {
    const stores = await freshStores(await getDb());
    const given = await storeJob(stores, NOW, { owner: 'me', claimToken: 'claim-1', lockedAt: NOW });
    const done = await storeJob(stores, NOW, {
      status: JobStatus.COMPLETED,
      owner: 'me',
      claimToken: 'claim-1',
      lockedAt: NOW,
    });
    const deleted = await heldJob(stores, NOW, 'me', 'claim-1');
    await stores.collection.deleteOne({ _id: deleted._id });
    const report = await stores.locks.renew('me', [run(given), run(done), run(deleted)], LATER);
    expect(hex(report.lost.map((id) => ({ _id: id })))).toEqual(hex([given, done, deleted]));
    expect(report.cancelled).toEqual([]);
    expect(await stored(stores, given._id)).toEqual(given);
    expect(await stored(stores, done._id)).toEqual(done);
  });

  it('cancellation: a run asked to stop is reported with the reason, and its lock is still renewed', async () => {
    const stores = await freshStores(await getDb());
    const plain = await heldJob(stores, NOW, 'me', 'claim-1');
    const asked = await heldJob(stores, NOW, 'me', 'claim-1', { cancelRequestedAt: NOW, cancelReason: 'ops' });
    const silent = await heldJob(stores, NOW, 'me', 'claim-2', { cancelRequestedAt: NOW });
    const report = await stores.locks.renew('me', [run(plain), run(asked), run(silent)], LATER);
    expect(report.lost).toEqual([]);
    expect(report.cancelled).toEqual([
      { id: asked._id, reason: 'ops' },
      { id: silent._id, reason: undefined },
    ]);
    for (const job of [plain, asked, silent]) expect((await stored(stores, job._id)).lockedAt).toEqual(LATER);
  });

  it('a cancellation requested of a job held by another owner is reported lost, not cancelled, and not renewed', async () => {
    const stores = await freshStores(await getDb());
    const foreign = await heldJob(stores, NOW, 'someone-else', 'claim-1', { cancelRequestedAt: NOW });
    const report = await stores.locks.renew('me', [run(foreign)], LATER);
    expect(report).toEqual({ lost: [foreign._id], cancelled: [] });
    expect(await stored(stores, foreign._id)).toEqual(foreign);
  });

  it('no runs: nothing reported', async () => {
    const stores = await freshStores(await getDb());
    expect(await stores.locks.renew('me', [], LATER)).toEqual({ lost: [], cancelled: [] });
  });
});

describe('LockStore reads', () => {
  it('findProcessing: processing jobs only, the oldest lock first, at most `limit`', async () => {
    const stores = await freshStores(await getDb());
    const newer = await heldJob(stores, plus(NOW, 2), 'a', 't1');
    const oldest = await heldJob(stores, NOW, 'b', 't2');
    const middle = await heldJob(stores, plus(NOW, 1), 'c', 't3');
    await storeJob(stores, NOW, { status: JobStatus.PENDING });
    await storeJob(stores, NOW, { status: JobStatus.COMPLETED, lockedAt: NOW });
    expect(hex(await stores.locks.findProcessing(10))).toEqual(hex([oldest, middle, newer]));
    expect(hex(await stores.locks.findProcessing(2))).toEqual(hex([oldest, middle]));
  });
});

describe('LockStore.setProgress', () => {
  it('claim-token and status guards: stored only while the run still holds the job', async () => {
    const stores = await freshStores(await getDb());
    const held = await heldJob(stores, NOW, 'me', 'claim-1');
    expect(await stores.locks.setProgress(run(held), 40)).toBe(true);
    expect((await stored(stores, held._id)).progress).toBe(40);

    const reclaimed = await heldJob(stores, NOW, 'me', 'claim-2');
    expect(await stores.locks.setProgress(run(reclaimed, 'claim-1'), 50)).toBe(false);
    expect(await stored(stores, reclaimed._id)).toEqual(reclaimed);

    const finished = await storeJob(stores, NOW, { status: JobStatus.COMPLETED, claimToken: 'claim-3' });
    expect(await stores.locks.setProgress(run(finished), { step: 'late' })).toBe(false);
    expect(await stored(stores, finished._id)).toEqual(finished);
  });
});
