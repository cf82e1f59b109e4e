/**
 * The rate window's arithmetic, exactly: which buckets count (the boundary included), where a
 * reservation is counted and by when its job must start, when room comes back, and the property
 * the whole design rests on: whatever sequence of admissions it allows, no window of `duration`
 * holds more than `max` starts when each job starts by its bucket's end.
 */
import { describe, expect, it } from 'vitest';
import {
  bucketKey,
  bucketWidth,
  countedStarts,
  MAX_KEPT_BUCKETS,
  MAX_START_ALLOWANCE,
  nextRoomAt,
  reservationEnd,
  roomAt,
  startAllowance,
  windowExpiry,
  withStarts,
} from '../../src/limits/rate-window.js';

const RATE = { max: 3, duration: 1_000 };

describe('rate window', () => {
  it('a bucket counts while its end is later than now - duration (at exactly now - duration it no longer does)', () => {
    const buckets = { [bucketKey(5_000)]: 2 };
    expect(countedStarts(buckets, 5_999, 1_000)).toBe(2);
    expect(countedStarts(buckets, 6_000, 1_000)).toBe(0);
    expect(roomAt(buckets, 5_999, RATE)).toBe(1);
    expect(roomAt(buckets, 6_000, RATE)).toBe(3);
  });

  it('buckets are 1/40 of the window (at least 1 ms); a start must happen within a tenth of it, at most 250 ms, at most a quarter', () => {
    expect(bucketWidth(40_000)).toBe(1_000);
    expect(bucketWidth(10)).toBe(1);
    expect(startAllowance(1_000)).toBe(100);
    expect(startAllowance(60_000)).toBe(MAX_START_ALLOWANCE);
    // Learnt from recent reservations: twice the longest, never over a quarter of the window.
    expect(startAllowance(60_000, [10, 40, 20])).toBe(80);
    expect(startAllowance(1_000, [400])).toBe(250);
  });

  it('a reservation is counted in the first bucket ending at least the allowance later', () => {
    const duration = 40_000; // buckets of 1 s, allowance 250 ms
    expect(reservationEnd(10_000, duration)).toBe(11_000);
    expect(reservationEnd(10_750, duration)).toBe(11_000);
    expect(reservationEnd(10_751, duration)).toBe(12_000);
    expect(reservationEnd(10_000, duration, 1_000)).toBe(11_000);
    expect(reservationEnd(10_001, duration, 1_000)).toBe(12_000);
  });

  it('withStarts drops the buckets that no longer count and adds to the reservation bucket', () => {
    const buckets = { [bucketKey(1_000)]: 2, [bucketKey(1_500)]: 1 };
    expect(withStarts(buckets, 2_000, 1_000, 2, 2_200)).toEqual({ [bucketKey(1_500)]: 1, [bucketKey(2_200)]: 2 });
    expect(withStarts({ [bucketKey(2_200)]: 1 }, 2_000, 1_000, 2, 2_200)).toEqual({ [bucketKey(2_200)]: 3 });
  });

  it('withStarts keeps the buckets that still count skew ms earlier, and at most MAX_KEPT_BUCKETS, the newest', () => {
    const buckets = { [bucketKey(1_000)]: 2, [bucketKey(1_500)]: 1 };
    // At 12 000 on the writer's clock both are old; an instance 10 s behind still counts them.
    expect(withStarts(buckets, 12_000, 1_000, 1, 12_200, 10_000)).toEqual({
      [bucketKey(1_500)]: 1,
      [bucketKey(12_200)]: 1,
    });
    expect(withStarts(buckets, 12_000, 1_000, 1, 12_200, 11_000)).toEqual({ ...buckets, [bucketKey(12_200)]: 1 });
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, n) => [bucketKey(1_000 + n), 1]));
    const kept = withStarts(many, 1_400, 1_000, 1, 1_400, 60_000);
    expect(Object.keys(kept)).toHaveLength(MAX_KEPT_BUCKETS);
    expect(kept[bucketKey(1_299)]).toBe(1);
    expect(kept[bucketKey(1_141)]).toBe(1);
    expect(kept[bucketKey(1_140)]).toBeUndefined();
  });

  it('nextRoomAt: none while there is room; else when enough of the oldest buckets stop counting', () => {
    expect(nextRoomAt({ [bucketKey(1_000)]: 2 }, 1_500, RATE)).toBeUndefined();
    const full = { [bucketKey(1_000)]: 1, [bucketKey(1_200)]: 2 };
    expect(nextRoomAt(full, 1_500, RATE)).toBe(2_000);
    expect(nextRoomAt({ [bucketKey(1_000)]: 3, [bucketKey(1_200)]: 2 }, 1_500, RATE)).toBe(2_000);
    expect(nextRoomAt({ [bucketKey(1_000)]: 1, [bucketKey(1_200)]: 4 }, 1_500, RATE)).toBe(2_200);
  });

  it('windowExpiry: the last bucket end plus the window (0 for none)', () => {
    expect(windowExpiry({}, 1_000)).toBe(0);
    expect(windowExpiry({ [bucketKey(5)]: 1, [bucketKey(9)]: 1 }, 1_000)).toBe(1_009);
  });

  it('never more than max starts in any window, for admissions at any times with starts by their deadline', () => {
    // A deterministic pseudo-random walk of admission attempts.
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const rate of [
      { max: 3, duration: 1_000 },
      { max: 10, duration: 250 },
      { max: 1, duration: 40 },
    ]) {
      let buckets: Record<string, number> = {};
      const starts: number[] = [];
      let now = 0;
      for (let step = 0; step < 4_000; step += 1) {
        now += Math.floor(random() * (rate.duration / 5));
        const room = roomAt(buckets, now, rate);
        if (room === 0) continue;
        const take = 1 + Math.floor(random() * room);
        const end = reservationEnd(now, rate.duration, 1 + Math.floor(random() * 50));
        buckets = withStarts(buckets, now, rate.duration, take, end);
        // Each job starts at some time between its reservation and the bucket's end.
        for (let i = 0; i < take; i += 1) starts.push(now + Math.floor(random() * (end - now + 1)));
      }
      starts.sort((a, b) => a - b);
      let worst = 0;
      for (let i = 0, j = 0; i < starts.length; i += 1) {
        while ((starts[i] as number) - (starts[j] as number) >= rate.duration) j += 1;
        worst = Math.max(worst, i - j + 1);
      }
      expect(worst, `max ${rate.max} per ${rate.duration} ms`).toBeLessThanOrEqual(rate.max);
      expect(starts.length).toBeGreaterThan(100);
    }
  });
});
