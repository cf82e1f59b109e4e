/**
 * The samples of the "Deduplication" section of "Per-job options", run against the test backend
 * with a clock the test moves: each does what the guide says it does.
 */
import { type Clock, Monque } from '@monque/core';
import { cleanupTestDb, freshCollectionName, getTestDb, waitUntil } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countDeduplications, notifyDigest, reindexOnEdit, syncProfile } from '../snippets/deduplication.js';

let db: Db;
const running: Monque[] = [];

/** A clock that stands still until moved. */
class ManualClock implements Clock {
  constructor(private current: number) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

function quickMonque(clock: Clock): Monque {
  const monque = new Monque(db, { collectionName: freshCollectionName(db), pollInterval: 50, clock });
  running.push(monque);
  return monque;
}

beforeAll(async () => {
  db = await getTestDb(import.meta.url);
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((monque) => monque.stop()));
});

afterAll(async () => {
  await cleanupTestDb(db);
});

const T0 = Date.parse('2031-05-01T09:00:00.000Z');

describe('the samples of "Deduplication"', () => {
  it('replace: the pending sync gets the latest profile', async () => {
    const monque = quickMonque(new ManualClock(T0));
    const first = await syncProfile(monque, '42', { name: 'Ada' });
    const second = await syncProfile(monque, '42', { name: 'Ada Lovelace' });
    expect(second._id.equals(first._id)).toBe(true);
    expect(await monque.getJob(first._id)).toMatchObject({ data: { userId: '42', profile: { name: 'Ada Lovelace' } } });
  });

  it('debounce: 500 edits in 100 s reindex at most every 30 s, with the latest revision, and once 2 s after the last', async () => {
    const clock = new ManualClock(T0);
    const monque = quickMonque(clock);
    const indexed: { revision: number; at: number }[] = [];
    monque.worker<{ revision: number }>('reindex-document', (job) => {
      indexed.push({ revision: job.data.revision, at: clock.now().getTime() });
    });
    await monque.start();
    for (let revision = 1; revision <= 500; revision += 1) {
      await reindexOnEdit(monque, 'd-1', revision);
      clock.advance(200);
      // Let the poller see each new time (nothing is due before maxWait).
      if (revision % 150 === 0) await waitUntil(() => indexed.length === revision / 150, 'a run at maxWait');
    }
    clock.advance(1_800); // 2 s after the last edit (made at 99.8 s)
    await waitUntil(() => indexed.length === 4, 'the run after the burst');
    expect(indexed.map((run) => run.revision)).toEqual([150, 300, 450, 500]);
    expect(indexed.map((run) => run.at - T0)).toEqual([30_000, 60_000, 90_000, 101_800]);
  });

  it('throttle: one digest per hour, the calls in between return it', async () => {
    const clock = new ManualClock(T0);
    const monque = quickMonque(clock);
    const counted: string[] = [];
    countDeduplications(monque, (name, outcome) => counted.push(`${name}:${outcome}`));
    const first = await notifyDigest(monque, 'u-1', 'comment');
    clock.advance(59 * 60 * 1000);
    const second = await notifyDigest(monque, 'u-1', 'like');
    expect(second._id.equals(first._id)).toBe(true);
    clock.advance(60 * 1000);
    const third = await notifyDigest(monque, 'u-1', 'follow');
    expect(third._id.equals(first._id)).toBe(false);
    expect(counted).toEqual(['send-digest:throttled']);
  });
});
