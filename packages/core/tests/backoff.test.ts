import { describe, expect, it } from 'vitest';
import { calculateBackoff, calculateBackoffDelay, MAX_BACKOFF_DELAY_MS } from '../src/index.js';

describe('calculateBackoffDelay', () => {
  it.each([
    [1, 1000, 2000],
    [2, 1000, 4000],
    [3, 1000, 8000],
    [10, 1000, 1_024_000],
    [1, 250, 500],
    [4, 10, 160],
    [0, 1000, 1000],
    [5, 0, 0],
    [3, 0.5, 4],
  ])('2^%i × %d ms = %d ms', (failCount, base, expected) => {
    expect(calculateBackoffDelay(failCount, base)).toBe(expected);
  });

  it('is exact: no jitter between calls', () => {
    const delays = new Set(Array.from({ length: 20 }, () => calculateBackoffDelay(6, 1000)));
    expect([...delays]).toEqual([64_000]);
  });

  it('is capped at one year', () => {
    expect(MAX_BACKOFF_DELAY_MS).toBe(365 * 24 * 60 * 60 * 1000);
    // 2^35 s is about 1089 years: capped.
    expect(calculateBackoffDelay(35, 1000)).toBe(MAX_BACKOFF_DELAY_MS);
    // Just below the cap it is still the formula.
    expect(calculateBackoffDelay(34, 1)).toBe(2 ** 34);
    expect(calculateBackoffDelay(2000, 1000)).toBe(MAX_BACKOFF_DELAY_MS);
  });
});

describe('calculateBackoff', () => {
  it('adds the delay to the failure time', () => {
    const failedAt = new Date('2024-03-10T08:00:00.000Z');
    expect(calculateBackoff(failedAt, 1, 1000)).toEqual(new Date('2024-03-10T08:00:02.000Z'));
    expect(calculateBackoff(failedAt, 3, 1000)).toEqual(new Date('2024-03-10T08:00:08.000Z'));
    expect(calculateBackoff(failedAt, 5, 60_000)).toEqual(new Date('2024-03-10T08:32:00.000Z'));
  });

  it('always returns a valid date, however many failures', () => {
    const failedAt = new Date('2024-03-10T08:00:00.000Z');
    const far = calculateBackoff(failedAt, 10_000, 1000);
    expect(Number.isNaN(far.getTime())).toBe(false);
    expect(far.getTime() - failedAt.getTime()).toBe(MAX_BACKOFF_DELAY_MS);
  });

  it('does not change its input', () => {
    const failedAt = new Date('2024-03-10T08:00:00.000Z');
    calculateBackoff(failedAt, 2, 1000);
    expect(failedAt.toISOString()).toBe('2024-03-10T08:00:00.000Z');
  });
});
