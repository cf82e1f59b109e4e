/**
 * The schedule's guards, directly against the database with a fixed `now`: one recurring job per
 * name and unique key (the partial unique index on `{name, activeKey}`), updated in place; a
 * changed cron or time zone moves a `pending` job only; a finished job still holding the key gives
 * it up (and only while it is finished); unscheduling deletes a `pending` job and ends a running
 * one's schedule.
 */
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/job.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { type ScheduleSpec, ScheduleStore } from '../../src/store/schedule-store.js';
import { useTestDb } from '../helpers/monque.js';
import { withRace } from './race.js';
import { freshStores, heldJob, plus, type Stores, stored, storeJob } from './stores.js';

const getDb = useTestDb(import.meta.url);
const NOW = new Date('2030-01-01T00:00:00Z');
const LATER = plus(NOW, 1_000);
const NEXT = new Date('2030-01-01T01:00:00Z');

const spec = (fields: Partial<ScheduleSpec> = {}): ScheduleSpec => ({
  name: 'report',
  data: { v: 1 },
  cron: '0 * * * *',
  nextRunAt: NEXT,
  ...fields,
});

async function all(stores: Stores): Promise<JobDocument[]> {
  return stores.collection.find({}).sort({ _id: 1 }).toArray();
}

describe('ScheduleStore.upsert', () => {
  it('creates one pending recurring job holding the key s:<uniqueKey>, with the defaults', async () => {
    const stores = await freshStores(await getDb());
    const created = await stores.schedules.upsert(spec(), NOW);
    expect(created).toEqual(await stored(stores, created._id));
    expect(created).toMatchObject({
      name: 'report',
      data: { v: 1 },
      status: JobStatus.PENDING,
      nextRunAt: NEXT,
      repeatInterval: '0 * * * *',
      timezone: 'UTC',
      priority: 0,
      activeKey: 's:',
      lockedAt: null,
      failCount: 0,
      attempts: 0,
      createdAt: NOW,
      updatedAt: NOW,
    });
    for (const absent of ['uniqueKey', 'maxRetries', 'backoff', 'timeout']) expect(created).not.toHaveProperty(absent);
    const keyed = await stores.schedules.upsert(spec({ uniqueKey: 'eu', timezone: 'Europe/Paris', priority: 2 }), NOW);
    expect(keyed).toMatchObject({ uniqueKey: 'eu', activeKey: 's:eu', timezone: 'Europe/Paris', priority: 2 });
    expect(await all(stores)).toHaveLength(2);
  });

  it('name and key guard: the same name and key updates the one job; another name or key is another job', async () => {
    const stores = await freshStores(await getDb());
    const first = await stores.schedules.upsert(spec(), NOW);
    const again = await stores.schedules.upsert(spec({ data: { v: 2 }, maxRetries: 3, timeout: 50 }), LATER);
    expect(again._id).toEqual(first._id);
    expect(again).toMatchObject({ data: { v: 2 }, maxRetries: 3, timeout: 50, updatedAt: LATER, createdAt: NOW });
    const other = await stores.schedules.upsert(spec({ name: 'other' }), NOW);
    const otherKey = await stores.schedules.upsert(spec({ uniqueKey: 'b' }), NOW);
    expect(new Set([first, other, otherKey].map((job) => job._id.toHexString())).size).toBe(3);
    // Options left out are removed again.
    const backoff = { type: 'fixed' as const, delay: 10 };
    expect(await stores.schedules.upsert(spec({ backoff }), LATER)).toMatchObject({ backoff });
    const plain = await stores.schedules.upsert(spec(), LATER);
    for (const absent of ['maxRetries', 'backoff', 'timeout']) expect(plain).not.toHaveProperty(absent);
  });

  it('an unchanged cron and time zone keep the due time (re-scheduling at boot neither delays nor repeats a run)', async () => {
    const stores = await freshStores(await getDb());
    const first = await stores.schedules.upsert(spec(), NOW);
    const again = await stores.schedules.upsert(spec({ nextRunAt: plus(NEXT, 3_600_000) }), LATER);
    expect(again.nextRunAt).toEqual(first.nextRunAt);
    const legacy = await storeJob(stores, NOW, { name: 'legacy', repeatInterval: '0 * * * *', activeKey: 's:' });
    const kept = await stores.schedules.upsert(spec({ name: 'legacy', nextRunAt: plus(NEXT, 1) }), LATER);
    expect(kept._id).toEqual(legacy._id);
    expect(kept.nextRunAt).toEqual(NOW);
  });

  it('a changed cron or time zone moves a pending job to the new due time', async () => {
    const stores = await freshStores(await getDb());
    await stores.schedules.upsert(spec(), NOW);
    const cron = await stores.schedules.upsert(spec({ cron: '30 * * * *', nextRunAt: plus(NEXT, 1) }), LATER);
    expect(cron).toMatchObject({ repeatInterval: '30 * * * *', nextRunAt: plus(NEXT, 1) });
    const zone = await stores.schedules.upsert(
      spec({ cron: '30 * * * *', timezone: 'Asia/Tokyo', nextRunAt: plus(NEXT, 2) }),
      LATER,
    );
    expect(zone).toMatchObject({ timezone: 'Asia/Tokyo', nextRunAt: plus(NEXT, 2) });
  });

  it('status guard of the move: a running occurrence keeps its due time (its outcome follows the new cron)', async () => {
    const stores = await freshStores(await getDb());
    const running = await heldJob(stores, NOW, 'runner', 'c', {
      name: 'report',
      repeatInterval: '0 * * * *',
      activeKey: 's:',
    });
    const updated = await stores.schedules.upsert(spec({ cron: '30 * * * *', nextRunAt: NEXT }), LATER);
    expect(updated._id).toEqual(running._id);
    expect(updated).toMatchObject({ status: JobStatus.PROCESSING, repeatInterval: '30 * * * *', nextRunAt: NOW });
  });

  it('status guard of the new cron: a job claimed after it was read keeps its due time, and gets the new cron', async () => {
    const stores = await freshStores(await getDb());
    const first = await stores.schedules.upsert(spec(), NOW);
    const claimed = () =>
      stores.collection.updateOne({ _id: first._id }, { $set: { status: JobStatus.PROCESSING, claimToken: 'c' } });
    const racing = new ScheduleStore(withRace(stores.collection, { after: 'findOne', meddle: claimed }));
    const updated = await racing.upsert(spec({ cron: '30 * * * *', nextRunAt: plus(NEXT, 1) }), LATER);
    expect(updated).toMatchObject({ status: JobStatus.PROCESSING, repeatInterval: '30 * * * *', nextRunAt: NEXT });
  });

  it("cron guard of the new cron: a cron changed by another call after it was read is not left with that cron's due time", async () => {
    const stores = await freshStores(await getDb());
    // Stored before time zones were recorded: the same cron takes the read-then-write path.
    const legacy = await storeJob(stores, NOW, { name: 'report', repeatInterval: '0 * * * *', activeKey: 's:' });
    const other = () =>
      stores.collection.updateOne(
        { _id: legacy._id },
        { $set: { repeatInterval: '45 * * * *', timezone: 'UTC', nextRunAt: plus(NEXT, 45) } },
      );
    const racing = new ScheduleStore(withRace(stores.collection, { after: 'findOne', meddle: other }));
    const updated = await racing.upsert(spec({ nextRunAt: plus(NEXT, 1) }), LATER);
    expect(updated).toMatchObject({ repeatInterval: '0 * * * *', timezone: 'UTC', nextRunAt: plus(NEXT, 1) });
  });

  it('a finished job still holding the key (edited by hand) gives it up; the schedule starts afresh', async () => {
    const stores = await freshStores(await getDb());
    const failed = await storeJob(stores, NOW, {
      name: 'report',
      status: JobStatus.FAILED,
      repeatInterval: '0 * * * *',
      activeKey: 's:',
    });
    const fresh = await stores.schedules.upsert(spec(), LATER);
    expect(fresh._id).not.toEqual(failed._id);
    expect(fresh).toMatchObject({ status: JobStatus.PENDING, activeKey: 's:', nextRunAt: NEXT, createdAt: LATER });
    const old = await stored(stores, failed._id);
    expect(old.status).toBe(JobStatus.FAILED);
    expect(old).not.toHaveProperty('activeKey');
  });

  it('status guard of the self-healing: a holder retried (active again) before it gives the key up keeps it', async () => {
    const stores = await freshStores(await getDb());
    const failed = await storeJob(stores, NOW, {
      name: 'report',
      status: JobStatus.FAILED,
      repeatInterval: '0 * * * *',
      activeKey: 's:',
    });
    const retried = () => stores.collection.updateOne({ _id: failed._id }, { $set: { status: JobStatus.PENDING } });
    const racing = new ScheduleStore(withRace(stores.collection, { after: 'findOne', meddle: retried }));
    const result = await racing.upsert(spec({ data: { v: 9 } }), LATER);
    expect(result._id).toEqual(failed._id);
    expect(result).toMatchObject({ status: JobStatus.PENDING, activeKey: 's:', data: { v: 9 } });
    expect(await all(stores)).toHaveLength(1);
  });

  it('gives up after 5 attempts when the key keeps coming back to a finished job', async () => {
    const stores = await freshStores(await getDb());
    const failed = await storeJob(stores, NOW, {
      name: 'report',
      status: JobStatus.FAILED,
      repeatInterval: '0 * * * *',
      activeKey: 's:',
    });
    let restored = 0;
    const restoreKey = async () => {
      restored += 1;
      await stores.collection.updateOne({ _id: failed._id }, { $set: { activeKey: 's:' } });
    };
    const racing = new ScheduleStore(
      withRace(stores.collection, { after: 'updateOne', meddle: restoreKey, call: 'every' }),
    );
    await expect(racing.upsert(spec(), LATER)).rejects.toThrow("could not write the schedule 'report'");
    expect(restored).toBe(5);
    expect(await all(stores)).toHaveLength(1);
  });
});

describe('ScheduleStore.remove', () => {
  it('deletes a pending schedule of that name and key only', async () => {
    const stores = await freshStores(await getDb());
    const target = await stores.schedules.upsert(spec({ uniqueKey: 'a' }), NOW);
    const otherKey = await stores.schedules.upsert(spec({ uniqueKey: 'b' }), NOW);
    const otherName = await stores.schedules.upsert(spec({ name: 'other', uniqueKey: 'a' }), NOW);
    expect(await stores.schedules.remove('report', 'a', LATER)).toBe(true);
    expect(await stores.collection.findOne({ _id: target._id })).toBeNull();
    expect(await stored(stores, otherKey._id)).toEqual(otherKey);
    expect(await stored(stores, otherName._id)).toEqual(otherName);
    expect(await stores.schedules.remove('report', 'a', LATER)).toBe(false);
  });

  it('status guard: a running occurrence is not deleted; it stops being recurring and gives the key up', async () => {
    const stores = await freshStores(await getDb());
    const running = await heldJob(stores, NOW, 'runner', 'c', {
      name: 'report',
      repeatInterval: '0 * * * *',
      timezone: 'UTC',
      activeKey: 's:',
    });
    expect(await stores.schedules.remove('report', undefined, LATER)).toBe(true);
    const doc = await stored(stores, running._id);
    expect(doc).toMatchObject({ status: JobStatus.PROCESSING, owner: 'runner', updatedAt: LATER });
    for (const gone of ['repeatInterval', 'timezone', 'activeKey']) expect(doc).not.toHaveProperty(gone);
  });

  it('a finished job holding the key (edited by hand) is neither deleted nor counted', async () => {
    const stores = await freshStores(await getDb());
    const failed = await storeJob(stores, NOW, {
      name: 'report',
      status: JobStatus.FAILED,
      repeatInterval: '0 * * * *',
      activeKey: 's:',
    });
    expect(await stores.schedules.remove('report', undefined, LATER)).toBe(false);
    expect(await stored(stores, failed._id)).toEqual(failed);
  });
});
