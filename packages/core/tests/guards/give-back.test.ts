/**
 * The give-back's retries end with the engine: a give-back begun outside stop()'s own (a job
 * claimed while stopping, say) that keeps failing is tried again until its deadline, unless the
 * engine stops first; then no try is sent after stop() and no timer is left. The store is a
 * stand-in that always refuses (what the database decides is tested in faults/give-back-at-stop).
 */
import { ObjectId } from 'mongodb';
import { describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { GiveBack } from '../../src/engine/give-back.js';
import { MonqueEventEmitter } from '../../src/events.js';
import type { ClaimStore } from '../../src/store/claim-store.js';

function refusingStore() {
  const tries: number[] = [];
  const store = {
    release: async () => {
      tries.push(Date.now());
      throw new Error('connection reset');
    },
    findClaimed: async () => [],
    findCancelledAtRelease: async () => [],
  } as unknown as Pick<ClaimStore, 'release' | 'findClaimed' | 'findCancelledAtRelease'>;
  return { store, tries };
}

describe('GiveBack', () => {
  it('tries a failing give-back again until its deadline', async () => {
    const { store, tries } = refusingStore();
    const giveBack = new GiveBack({
      store,
      owner: 'me',
      clock: systemClock,
      timeout: 1_000,
      events: new MonqueEventEmitter(),
    });
    giveBack.start();
    await expect(giveBack.release(['token'], [new ObjectId()], Date.now() + 400)).rejects.toThrow('connection reset');
    expect(tries.length).toBeGreaterThan(2);
  });

  it('gives up at once when the engine stops: no try after stop(), no timer left', async () => {
    const { store, tries } = refusingStore();
    const giveBack = new GiveBack({
      store,
      owner: 'me',
      clock: systemClock,
      timeout: 1_000,
      events: new MonqueEventEmitter(),
    });
    giveBack.start();
    const release = giveBack.release(['token'], [new ObjectId()], Date.now() + 30_000);
    const settled = release.then(
      () => 'resolved',
      () => 'rejected',
    );
    while (tries.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    const triedBefore = tries.length;
    giveBack.stop();
    const stoppedAt = Date.now();
    expect(await settled).toBe('rejected');
    expect(Date.now() - stoppedAt).toBeLessThan(250);
    expect(tries.length).toBe(triedBefore);
    // Started again, it tries again.
    giveBack.start();
    await expect(giveBack.release(['token'], [new ObjectId()], Date.now() + 200)).rejects.toThrow();
    expect(tries.length).toBeGreaterThan(triedBefore);
  });

  it('a try in flight when the engine stops is the last: no wait (no timer) follows it', async () => {
    let refuse: () => void = () => {};
    const store = {
      release: () =>
        new Promise((_, reject) => {
          refuse = () => reject(new Error('connection reset'));
        }),
      findClaimed: async () => [],
      findCancelledAtRelease: async () => [],
    } as unknown as Pick<ClaimStore, 'release' | 'findClaimed' | 'findCancelledAtRelease'>;
    const giveBack = new GiveBack({
      store,
      owner: 'me',
      clock: systemClock,
      timeout: 10_000,
      events: new MonqueEventEmitter(),
    });
    giveBack.start();
    const settled = giveBack.release(['token'], [new ObjectId()], Date.now() + 30_000).catch(() => 'rejected');
    await new Promise((resolve) => setTimeout(resolve, 20));
    giveBack.stop();
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      refuse();
      expect(await settled).toBe('rejected');
      expect(timers).not.toHaveBeenCalled();
    } finally {
      timers.mockRestore();
    }
  });
});
