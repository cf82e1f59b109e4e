/**
 * Each term of the outcome fence, on both write paths (plain completions of one claim share one
 * `updateMany`; every other outcome is one `updateOne` of a `bulkWrite`): a run's write lands only
 * while the job is `processing` under the run's claim token, no cancellation was requested (unless
 * the write is the cancellation), and a recurring job still has the cron and time zone it ran
 * with; a recovery's write lands only on the lock it saw (`lockedAt` and claim token). And what a
 * write sets: every field of the transition, nothing of the claim left behind.
 */
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/job.js';
import type { JobDocument } from '../../src/store/job-document.js';
import type { JobOutcome, Transition } from '../../src/store/outcome-store.js';
import { useTestDb } from '../helpers/monque.js';
import { freshStores, heldJob, plus, type Stores, stored } from './stores.js';

const getDb = useTestDb(import.meta.url);
const NOW = new Date('2030-01-01T00:00:00Z');
const LATER = plus(NOW, 5_000);

const completion = (at = LATER): Transition => ({ status: JobStatus.COMPLETED, at, completedAt: at, finishedAt: at });
const retry = (at = LATER): Transition => ({
  status: JobStatus.PENDING,
  at,
  nextRunAt: plus(at, 1_000),
  failCount: 1,
  failReason: 'boom',
});
const fenced = (job: JobDocument, transition: Transition, token = job.claimToken as string): JobOutcome => ({
  job,
  transition,
  fence: { claimToken: token },
});
const recovery = (job: JobDocument, seen: Partial<Pick<JobDocument, 'lockedAt' | 'claimToken'>> = {}): JobOutcome => ({
  job,
  transition: { ...retry(), nextRunAt: LATER, clearClaim: true },
  fence: { claimToken: seen.claimToken ?? job.claimToken ?? null, lockedAt: (seen.lockedAt ?? job.lockedAt) as Date },
});
/** The two write paths: a plain completion (shared `updateMany`) and a retry (`bulkWrite`). */
const PATHS = [
  { path: 'updateMany (plain completion)', transition: completion },
  { path: 'bulkWrite (retry)', transition: retry },
] as const;

async function held(stores: Stores, fields: Partial<JobDocument> = {}): Promise<JobDocument> {
  return heldJob(stores, NOW, 'me', 'claim-1', fields);
}

describe.each(PATHS)('outcome fence on the $path path', ({ transition }) => {
  it('claim-token guard: a job held under another claim (same owner, still processing) is not written: lost', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores);
    const reclaimed = await held(stores, { claimToken: 'a-later-claim' });
    const results = await stores.outcomes.apply([
      fenced(job, transition()),
      fenced(reclaimed, transition(), 'claim-1'),
    ]);
    expect(results.map((result) => result.kind)).toEqual(['written', 'lost']);
    expect(await stored(stores, reclaimed._id)).toEqual(reclaimed);
  });

  it('status guard: a job no longer processing (given back, same token) is not written: lost', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores);
    const givenBack = await held(stores, { status: JobStatus.PENDING });
    const results = await stores.outcomes.apply([fenced(job, transition()), fenced(givenBack, transition())]);
    expect(results.map((result) => result.kind)).toEqual(['written', 'lost']);
    expect(await stored(stores, givenBack._id)).toEqual(givenBack);
  });

  it('cancellation guard: a job whose cancellation was requested during the run is not written: changed', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores);
    const asked = await held(stores, { cancelRequestedAt: NOW, cancelReason: 'ops' });
    const results = await stores.outcomes.apply([fenced(job, transition()), fenced(asked, transition())]);
    expect(results[0]?.kind).toBe('written');
    expect(results[1]).toEqual({ kind: 'changed', current: asked });
    expect(await stored(stores, asked._id)).toEqual(asked);
  });
});

describe('outcome fence: the cancellation itself', () => {
  it('a cancelled outcome is written although a cancellation was requested', async () => {
    const stores = await freshStores(await getDb());
    const asked = await held(stores, { cancelRequestedAt: NOW, activeKey: 'u:k', uniqueKey: 'k' });
    const [result] = await stores.outcomes.apply([
      fenced(asked, { status: JobStatus.CANCELLED, at: LATER, finishedAt: LATER }),
    ]);
    expect(result?.kind).toBe('written');
    const doc = await stored(stores, asked._id);
    expect(doc).toMatchObject({ status: JobStatus.CANCELLED, finishedAt: LATER, lockedAt: null });
    expect(doc).not.toHaveProperty('activeKey');
  });

  it('but still on the claim token', async () => {
    const stores = await freshStores(await getDb());
    const asked = await held(stores, { cancelRequestedAt: NOW, claimToken: 'a-later-claim' });
    const [result] = await stores.outcomes.apply([
      fenced(asked, { status: JobStatus.CANCELLED, at: LATER, finishedAt: LATER }, 'claim-1'),
    ]);
    expect(result?.kind).toBe('lost');
  });
});

describe('outcome fence: a recurring job is written only on the schedule it ran with', () => {
  const schedule = { repeatInterval: '0 * * * *', timezone: 'Europe/Paris' };
  const next = (): Transition => ({ status: JobStatus.PENDING, at: LATER, nextRunAt: plus(NOW, 3_600_000) });

  it('cron guard: a cron changed during the run: changed', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores, schedule);
    await stores.collection.updateOne({ _id: job._id }, { $set: { repeatInterval: '30 * * * *' } });
    const [result] = await stores.outcomes.apply([fenced(job, next())]);
    expect(result).toMatchObject({ kind: 'changed', current: { repeatInterval: '30 * * * *' } });
  });

  it('time-zone guard: a time zone changed during the run: changed', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores, schedule);
    await stores.collection.updateOne({ _id: job._id }, { $set: { timezone: 'UTC' } });
    const [result] = await stores.outcomes.apply([fenced(job, next())]);
    expect(result).toMatchObject({ kind: 'changed', current: { timezone: 'UTC' } });
  });

  it('unschedule() during the run (cron removed): changed', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores, schedule);
    await stores.collection.updateOne({ _id: job._id }, { $unset: { repeatInterval: '', timezone: '' } });
    const [result] = await stores.outcomes.apply([fenced(job, next())]);
    expect(result?.kind).toBe('changed');
  });

  it('the schedule unchanged: written; a schedule stored without a time zone matches one read without it', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores, schedule);
    const legacy = await held(stores, { repeatInterval: '0 * * * *' });
    const results = await stores.outcomes.apply([fenced(job, next()), fenced(legacy, next())]);
    expect(results.map((result) => result.kind)).toEqual(['written', 'written']);
  });

  it('also for a completion (a recurring job never shares the plain completions` write)', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores, schedule);
    const plain = await held(stores);
    await stores.collection.updateOne({ _id: job._id }, { $set: { repeatInterval: '30 * * * *' } });
    const results = await stores.outcomes.apply([fenced(job, completion()), fenced(plain, completion())]);
    expect(results.map((result) => result.kind)).toEqual(['changed', 'written']);
  });
});

describe('outcome fence: a recovery is written only on the lock it saw', () => {
  it('lockedAt guard: a lock renewed since it was seen: lost', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores);
    const [result] = await stores.outcomes.apply([recovery(job, { lockedAt: plus(NOW, -1) })]);
    expect(result?.kind).toBe('lost');
    expect(await stored(stores, job._id)).toEqual(job);
  });

  it('claim-token guard: the same lock time under another claim: lost', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores);
    const [result] = await stores.outcomes.apply([recovery(job, { claimToken: 'the-claim-seen-before' })]);
    expect(result?.kind).toBe('lost');
    expect(await stored(stores, job._id)).toEqual(job);
  });

  it('status guard: a job that finished since it was seen (same lock fields): lost', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores, { status: JobStatus.COMPLETED });
    const [result] = await stores.outcomes.apply([recovery(job)]);
    expect(result?.kind).toBe('lost');
    expect(await stored(stores, job._id)).toEqual(job);
  });

  it('a recovery is not fenced on a requested cancellation (it decides cancelled itself), and clears the claim', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores, { cancelRequestedAt: NOW });
    const [result] = await stores.outcomes.apply([recovery(job)]);
    expect(result?.kind).toBe('written');
    expect(await stored(stores, job._id)).toMatchObject({
      status: JobStatus.PENDING,
      claimToken: null,
      lockedAt: null,
    });
  });

  it('a recovery retried after a lost reply is recognised as written (claim cleared, same time)', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores);
    expect((await stores.outcomes.apply([recovery(job)]))[0]?.kind).toBe('written');
    expect((await stores.outcomes.apply([recovery(job)]))[0]?.kind).toBe('written');
    const other = { ...recovery(job), transition: { ...recovery(job).transition, at: plus(LATER, 1) } };
    expect((await stores.outcomes.apply([other]))[0]?.kind).toBe('lost');
  });
});

describe('outcome read-back after a shortfall', () => {
  it('a write whose time matches but whose status differs is not taken for already applied', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores);
    await stores.collection.updateOne(
      { _id: job._id },
      { $set: { status: JobStatus.FAILED, updatedAt: LATER, claimToken: 'claim-1' } },
    );
    expect((await stores.outcomes.apply([fenced(job, completion())]))[0]?.kind).toBe('lost');
  });

  it('a write whose status and time match but whose claim differs is not taken for already applied', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores);
    await stores.collection.updateOne(
      { _id: job._id },
      { $set: { status: JobStatus.COMPLETED, updatedAt: LATER, claimToken: 'another-claim' } },
    );
    expect((await stores.outcomes.apply([fenced(job, completion())]))[0]?.kind).toBe('lost');
  });
});

describe('a retried write of a run that made its job pending, after the job was claimed again', () => {
  it('is recognised as written (the job names the claim that requeued it); under another claim it is lost', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores);
    expect((await stores.outcomes.apply([fenced(job, retry())]))[0]?.kind).toBe('written');
    expect((await stored(stores, job._id)).requeuedBy).toBe('claim-1');
    // Claimed again by another instance before this write's retry (its first reply was lost).
    await stores.collection.updateOne(
      { _id: job._id },
      { $set: { status: JobStatus.PROCESSING, owner: 'other', claimToken: 'claim-2', updatedAt: plus(LATER, 10) } },
    );
    expect((await stores.outcomes.apply([fenced(job, retry())]))[0]?.kind).toBe('written');
    const another = await held(stores);
    await stores.collection.updateOne(
      { _id: another._id },
      { $set: { requeuedBy: 'claim-0', claimToken: 'claim-2', owner: 'other' } },
    );
    expect((await stores.outcomes.apply([fenced(another, retry(), 'claim-1')]))[0]?.kind).toBe('lost');
  });
});

describe('what an outcome write sets', () => {
  it('a completion: status, times, expiry, result; lock, owner and unique key released', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores, { uniqueKey: 'k', activeKey: 'u:k', failReason: 'earlier' });
    const expireAt = plus(LATER, 60_000);
    const [result] = await stores.outcomes.apply([
      fenced(job, { ...completion(), expireAt, result: { value: { rows: 3 } }, failReason: null }),
    ]);
    expect(result?.kind).toBe('written');
    const doc = await stored(stores, job._id);
    expect(doc).toMatchObject({
      status: JobStatus.COMPLETED,
      updatedAt: LATER,
      completedAt: LATER,
      finishedAt: LATER,
      expireAt,
      result: { rows: 3 },
      lockedAt: null,
      claimToken: 'claim-1',
      uniqueKey: 'k',
    });
    for (const gone of ['owner', 'activeKey', 'failReason']) expect(doc).not.toHaveProperty(gone);
  });

  it('a retry: pending again at its new time with the failure, keeping its unique key', async () => {
    const stores = await freshStores(await getDb());
    const job = await held(stores, { uniqueKey: 'k', activeKey: 'u:k' });
    expect((await stores.outcomes.apply([fenced(job, retry())]))[0]?.kind).toBe('written');
    const doc = await stored(stores, job._id);
    expect(doc).toMatchObject({
      status: JobStatus.PENDING,
      nextRunAt: plus(LATER, 1_000),
      failCount: 1,
      failReason: 'boom',
      activeKey: 'u:k',
      lockedAt: null,
    });
    expect(doc).not.toHaveProperty('owner');
    expect(doc).not.toHaveProperty('completedAt');
  });

  it('a final failure and a cancellation release the unique key', async () => {
    const stores = await freshStores(await getDb());
    const failed = await held(stores, { uniqueKey: 'a', activeKey: 'u:a' });
    const cancelled = await held(stores, { uniqueKey: 'b', activeKey: 'u:b' });
    const results = await stores.outcomes.apply([
      fenced(failed, { status: JobStatus.FAILED, at: LATER, failCount: 1, failReason: 'x', finishedAt: LATER }),
      fenced(cancelled, { status: JobStatus.CANCELLED, at: LATER, finishedAt: LATER }),
    ]);
    expect(results.map((result) => result.kind)).toEqual(['written', 'written']);
    expect(await stored(stores, failed._id)).not.toHaveProperty('activeKey');
    expect(await stored(stores, cancelled._id)).not.toHaveProperty('activeKey');
  });

  it("completions written together share the first one's times, and their transitions say so", async () => {
    const stores = await freshStores(await getDb());
    const first = await held(stores);
    const second = await held(stores);
    const outcomes = [fenced(first, completion(LATER)), fenced(second, completion(plus(LATER, 7)))];
    const results = await stores.outcomes.apply(outcomes);
    expect(results.map((result) => result.kind)).toEqual(['written', 'written']);
    expect((await stored(stores, first._id)).updatedAt).toEqual(LATER);
    expect((await stored(stores, second._id)).updatedAt).toEqual(LATER);
    // The second transition now carries the stored time: its event and a retried write agree.
    expect(outcomes[1]?.transition.at).toEqual(LATER);
    expect((await stores.outcomes.apply([outcomes[1] as never]))[0]?.kind).toBe('written');
  });
});
