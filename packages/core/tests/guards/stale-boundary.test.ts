/**
 * Stale recovery's boundaries, on a test clock and the real stores: a lock seen unchanged for
 * exactly `lockTimeout` is stale, 1 ms less is not; at first sight only a lock older than
 * `lockTimeout + clockSkewTolerance` (strictly) is; any change of the lock (time or claim token)
 * starts the watch again, as does a job that left `processing` and came back; this instance never
 * recovers its own runs; the time it could not reach the database does not count, and a failed
 * round trip among successful ones costs only its short gap.
 */
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/job.js';
import { useTestDb } from '../helpers/monque.js';
import { heldJob, plus, stored } from '../store/stores.js';
import { LOCK_TIMEOUT, recoveryOf, SKEW, setup, T0, WATCH_ONLY } from './stale-harness.js';

const getDb = useTestDb(import.meta.url);

describe('stale recovery: a lock watched unchanged', () => {
  it('unchanged-for boundary: not stale 1 ms before lockTimeout, stale at exactly lockTimeout', async () => {
    const { stores, clock } = await setup(await getDb());
    const job = await heldJob(stores, T0, 'dead', 'claim-1');
    const { recovery, recovered, wakes } = recoveryOf(stores, clock);
    expect(await recovery.recoverOnce()).toBe(0);
    clock.advance(LOCK_TIMEOUT - 1);
    expect(await recovery.recoverOnce()).toBe(0);
    expect((await stored(stores, job._id)).status).toBe(JobStatus.PROCESSING);
    expect(wakes()).toBe(0);
    clock.advance(1);
    expect(await recovery.recoverOnce()).toBe(1);
    expect(recovered.map((doc) => doc._id)).toEqual([job._id]);
    expect(wakes()).toBe(1);
    expect(await stored(stores, job._id)).toMatchObject({
      status: JobStatus.PENDING,
      failCount: 1,
      nextRunAt: clock.now(),
      claimToken: null,
      lockedAt: null,
    });
    expect((await stored(stores, job._id)).failReason).toContain(`for ${LOCK_TIMEOUT} ms by dead`);
  });

  it('a renewed lock (new lockedAt) starts the watch again', async () => {
    const { stores, clock } = await setup(await getDb());
    const job = await heldJob(stores, T0, 'alive', 'claim-1');
    const { recovery } = recoveryOf(stores, clock, { skew: WATCH_ONLY });
    await recovery.recoverOnce();
    clock.advance(LOCK_TIMEOUT - 1);
    await stores.locks.renew('alive', [{ id: job._id, token: 'claim-1' }], plus(T0, 1));
    await recovery.recoverOnce();
    clock.advance(LOCK_TIMEOUT - 1);
    expect(await recovery.recoverOnce()).toBe(0);
    clock.advance(1);
    expect(await recovery.recoverOnce()).toBe(1);
  });

  it('the same lock time under another claim token starts the watch again', async () => {
    const { stores, clock } = await setup(await getDb());
    const job = await heldJob(stores, T0, 'a', 'claim-1');
    const { recovery } = recoveryOf(stores, clock);
    await recovery.recoverOnce();
    clock.advance(LOCK_TIMEOUT - 1);
    await stores.collection.updateOne({ _id: job._id }, { $set: { claimToken: 'claim-2', owner: 'b' } });
    await recovery.recoverOnce();
    clock.advance(1);
    expect(await recovery.recoverOnce()).toBe(0);
    expect((await stored(stores, job._id)).claimToken).toBe('claim-2');
  });

  it('a job that left processing between two looks is watched afresh when it comes back', async () => {
    const { stores, clock } = await setup(await getDb());
    const job = await heldJob(stores, T0, 'a', 'claim-1');
    const { recovery } = recoveryOf(stores, clock);
    await recovery.recoverOnce();
    clock.advance(LOCK_TIMEOUT / 2);
    await stores.collection.updateOne({ _id: job._id }, { $set: { status: JobStatus.PENDING } });
    await recovery.recoverOnce();
    await stores.collection.updateOne({ _id: job._id }, { $set: { status: JobStatus.PROCESSING } });
    clock.advance(LOCK_TIMEOUT / 2);
    expect(await recovery.recoverOnce()).toBe(0);
  });

  it('never recovers a job this instance runs itself', async () => {
    const { stores, clock } = await setup(await getDb());
    const mine = await heldJob(stores, plus(T0, -10 * LOCK_TIMEOUT), 'me', 'claim-1');
    const { recovery } = recoveryOf(stores, clock, { here: new Set([mine._id.toHexString()]) });
    await recovery.recoverOnce();
    clock.advance(LOCK_TIMEOUT);
    expect(await recovery.recoverOnce()).toBe(0);
    expect(await stored(stores, mine._id)).toEqual(mine);
  });

  it('does not count the time it could not read the locks: the owners get a full lockTimeout after', async () => {
    const { stores, clock } = await setup(await getDb());
    await heldJob(stores, T0, 'a', 'claim-1');
    let failing = false;
    const { recovery } = recoveryOf(stores, clock, { skew: WATCH_ONLY });
    const findProcessing = stores.locks.findProcessing.bind(stores.locks);
    stores.locks.findProcessing = (limit) =>
      failing ? Promise.reject(new Error('unreachable')) : findProcessing(limit);
    await recovery.recoverOnce();
    clock.advance(LOCK_TIMEOUT - 1);
    failing = true;
    await expect(recovery.recoverOnce()).rejects.toThrow('unreachable');
    failing = false;
    clock.advance(1);
    expect(await recovery.recoverOnce()).toBe(0);
    clock.advance(LOCK_TIMEOUT - 1);
    expect(await recovery.recoverOnce()).toBe(0);
    clock.advance(1);
    expect(await recovery.recoverOnce()).toBe(1);
  });

  it('keeps what it saw through a failed round trip among successful ones: only that gap is not counted', async () => {
    const { stores, clock } = await setup(await getDb());
    await heldJob(stores, T0, 'a', 'claim-1');
    const { recovery } = recoveryOf(stores, clock, { skew: WATCH_ONLY });
    await recovery.recoverOnce();
    clock.advance(LOCK_TIMEOUT / 2);
    recovery.databaseResult(null);
    recovery.databaseResult(new Error('one command failed'));
    clock.advance(10);
    recovery.databaseResult(null);
    clock.advance(LOCK_TIMEOUT / 2 - 1);
    expect(await recovery.recoverOnce()).toBe(0);
    clock.advance(1);
    expect(await recovery.recoverOnce()).toBe(1);
  });
});

describe('stale recovery: a lock at first sight (after a restart of every instance)', () => {
  it('first-sight boundary: a lock exactly lockTimeout + clockSkewTolerance old is not stale, 1 ms older is', async () => {
    const { stores, clock } = await setup(await getDb());
    const edge = await heldJob(stores, plus(T0, -(LOCK_TIMEOUT + SKEW)), 'dead', 'claim-1');
    const older = await heldJob(stores, plus(T0, -(LOCK_TIMEOUT + SKEW + 1)), 'dead', 'claim-2');
    const { recovery, recovered } = recoveryOf(stores, clock);
    expect(await recovery.recoverOnce()).toBe(1);
    expect(recovered.map((doc) => doc._id)).toEqual([older._id]);
    expect((await stored(stores, edge._id)).status).toBe(JobStatus.PROCESSING);
  });

  it('clockSkewTolerance Infinity: never stale at first sight, still stale after lockTimeout watched', async () => {
    const { stores, clock } = await setup(await getDb());
    await heldJob(stores, new Date(0), 'dead', 'claim-1');
    const { recovery } = recoveryOf(stores, clock, { skew: Number.POSITIVE_INFINITY });
    expect(await recovery.recoverOnce()).toBe(0);
    clock.advance(LOCK_TIMEOUT);
    expect(await recovery.recoverOnce()).toBe(1);
  });

  it('a job without a lock time is only stale once watched for lockTimeout', async () => {
    const { stores, clock } = await setup(await getDb());
    await heldJob(stores, T0, 'dead', 'claim-1', { lockedAt: null });
    const { recovery } = recoveryOf(stores, clock, { skew: 0 });
    expect(await recovery.recoverOnce()).toBe(0);
    clock.advance(LOCK_TIMEOUT);
    expect(await recovery.recoverOnce()).toBe(1);
  });
});

describe('stale recovery: what a recovery writes', () => {
  it('a job whose cancellation was requested ends cancelled, not retried', async () => {
    const { stores, clock } = await setup(await getDb());
    const job = await heldJob(stores, plus(T0, -60_000), 'dead', 'claim-1', { cancelRequestedAt: T0 });
    const { recovery } = recoveryOf(stores, clock);
    expect(await recovery.recoverOnce()).toBe(1);
    expect(await stored(stores, job._id)).toMatchObject({ status: JobStatus.CANCELLED, finishedAt: T0 });
  });

  it('own orphans (recorded for this instance id, not run here) are recovered at once by the first scan; its own runs are not', async () => {
    const { stores, clock } = await setup(await getDb());
    const orphan = await heldJob(stores, T0, 'me', 'old-claim');
    const running = await heldJob(stores, T0, 'me', 'claim-1');
    const foreign = await heldJob(stores, T0, 'someone-else', 'claim-2');
    const { recovery, wakes } = recoveryOf(stores, clock, { here: new Set([running._id.toHexString()]) });
    expect(await recovery.recoverOnce(true)).toBe(1);
    expect(wakes()).toBe(1);
    expect((await stored(stores, orphan._id)).failReason).toContain('left by an earlier process with this instanceId');
    expect(await stored(stores, running._id)).toEqual(running);
    expect(await stored(stores, foreign._id)).toEqual(foreign);
  });

  it('own orphans are left to the watch after start: a lost claim of this instance is not one', async () => {
    const { stores, clock } = await setup(await getDb());
    const unresolvedClaim = await heldJob(stores, T0, 'me', 'lost-reply-claim');
    const { recovery } = recoveryOf(stores, clock);
    expect(await recovery.recoverOnce()).toBe(0);
    expect(await stored(stores, unresolvedClaim._id)).toEqual(unresolvedClaim);
  });

  it('a recovery that finds the lock renewed meanwhile is not counted, and wakes nobody', async () => {
    const { stores, clock } = await setup(await getDb());
    const job = await heldJob(stores, plus(T0, -60_000), 'slow', 'claim-1');
    const { recovery, recovered, wakes } = recoveryOf(stores, clock);
    const apply = stores.outcomes.apply.bind(stores.outcomes);
    stores.outcomes.apply = async (outcomes) => {
      await stores.locks.renew('slow', [{ id: job._id, token: 'claim-1' }], T0);
      return apply(outcomes);
    };
    expect(await recovery.recoverOnce()).toBe(0);
    expect(recovered).toEqual([]);
    expect(wakes()).toBe(0);
    expect((await stored(stores, job._id)).status).toBe(JobStatus.PROCESSING);
  });
});
