/**
 * A rate limit shared by instances whose clocks disagree: an instance whose clock is ahead keeps
 * the other instances' starts in the rate record (for `clockSkewTolerance`), instead of dropping
 * them as old on its own clock. Before, the instances on time then read only its starts and began
 * up to `max` more in the same window of their clock. (The instance ahead may itself start up to
 * its skew early, as the guide says.)
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { createMonque, useTestDb } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';

const getDb = useTestDb(import.meta.url);

describe('rateLimit with a clock ahead', () => {
  it('the instances on time never start more than max in one window of their clock', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    // The clock of A and C stands still: all their starts are in one window of it.
    const clock = new TestClock('2030-01-01T00:00:00Z');
    const ahead = { now: () => new Date(clock.now().getTime() + 10_000) };
    const starts = new Map<string, number>();
    const make = (who: string, options: { clock: { now(): Date } }, concurrency: number) => {
      const monque = createMonque(db, { collectionName, changeStreamWakeups: false, ...options });
      monque.worker('api', () => void starts.set(who, (starts.get(who) ?? 0) + 1), {
        concurrency,
        rateLimit: { max: 4, duration: 1_000 },
      });
      return monque;
    };
    const a = make('A', { clock }, 2);
    const b = make('B', { clock: ahead }, 1);
    const c = make('C', { clock }, 5);
    try {
      await a.enqueueMany(Array.from({ length: 12 }, (_, n) => ({ name: 'api', data: { n } })));
      await a.start();
      await waitUntil(() => starts.get('A') === 4, 'A to fill the window');
      await b.start();
      await waitUntil(() => (starts.get('B') ?? 0) >= 1, 'B (10 s ahead) to start one');
      await b.stop();
      await c.start();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      // A and C share a clock that did not move: one window, at most 4 starts.
      expect({ A: starts.get('A'), B: starts.get('B'), C: starts.get('C') ?? 0 }).toMatchObject({ A: 4, C: 0 });
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    }
  });
});
