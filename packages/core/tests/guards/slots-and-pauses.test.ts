/**
 * The limits that decide how much an instance claims: a worker never runs more handlers than its
 * concurrency, the instance never more than `instanceConcurrency` (shared round robin between
 * names); and what is paused, read again once it is `pollInterval` old (the boundary included).
 */
import { describe, expect, it } from 'vitest';
import { PauseGate } from '../../src/engine/pause-gate.js';
import { WorkerRegistry } from '../../src/engine/worker-registry.js';
import { DuplicateWorkerError } from '../../src/errors/duplicate-worker-error.js';
import type { PausedState } from '../../src/queries.js';
import { isNamePaused } from '../../src/store/pause-store.js';
import { TestClock } from '../helpers/test-clock.js';

const handler = async () => {};

describe('WorkerRegistry', () => {
  it('per-worker limit: a worker has a free slot while fewer than its concurrency handlers run', () => {
    const registry = new WorkerRegistry();
    registry.register('a', handler, 2, { maxRetries: 1 });
    const worker = registry.get('a');
    expect(worker).toMatchObject({ name: 'a', concurrency: 2, running: 0, policy: { maxRetries: 1 } });
    expect(registry.freeSlots()).toEqual([{ name: 'a', limit: 2 }]);
    registry.take(worker as NonNullable<typeof worker>);
    expect(registry.hasFreeSlot('a')).toBe(true);
    expect(registry.freeSlots()).toEqual([{ name: 'a', limit: 1 }]);
    registry.take(worker as NonNullable<typeof worker>);
    expect(registry.hasFreeSlot('a')).toBe(false);
    expect(registry.freeSlots()).toEqual([]);
    expect(registry.runningCount).toBe(2);
    registry.free(worker as NonNullable<typeof worker>);
    expect(registry.hasFreeSlot('a')).toBe(true);
    expect(registry.runningCount).toBe(1);
    expect(registry.get('a')?.running).toBe(1);
  });

  it('instance limit: no name has a free slot once instanceConcurrency handlers run, of all names', () => {
    const registry = new WorkerRegistry(3);
    registry.register('a', handler, 5);
    registry.register('b', handler, 5);
    const a = registry.get('a') as NonNullable<ReturnType<WorkerRegistry['get']>>;
    registry.take(a);
    registry.take(a);
    expect(registry.hasFreeSlot('b')).toBe(true);
    const slots = registry.freeSlots();
    expect(slots.reduce((sum, slot) => sum + slot.limit, 0)).toBe(1);
    registry.take(a);
    expect(registry.hasFreeSlot('a')).toBe(false);
    expect(registry.hasFreeSlot('b')).toBe(false);
    expect(registry.freeSlots()).toEqual([]);
  });

  it('shares a limited instance capacity round robin: each name leads in turn', () => {
    const registry = new WorkerRegistry(2);
    for (const name of ['a', 'b', 'c']) registry.register(name, handler, 2);
    const turns = [registry.freeSlots(), registry.freeSlots(), registry.freeSlots(), registry.freeSlots()];
    expect(turns).toEqual([
      [{ name: 'b', limit: 2 }],
      [{ name: 'c', limit: 2 }],
      [{ name: 'a', limit: 2 }],
      [{ name: 'b', limit: 2 }],
    ]);
  });

  it('a name whose slots are all taken is skipped, and the room goes to the next', () => {
    const registry = new WorkerRegistry(3);
    registry.register('a', handler, 1);
    registry.register('b', handler, 4);
    registry.take(registry.get('a') as NonNullable<ReturnType<WorkerRegistry['get']>>);
    expect(registry.freeSlots()).toEqual([{ name: 'b', limit: 2 }]);
    expect(registry.freeSlots()).toEqual([{ name: 'b', limit: 2 }]);
  });

  it('mostly busy: some slots free but fewer than half of the capacity (the instance limit included)', () => {
    const registry = new WorkerRegistry();
    registry.register('a', handler, 3);
    registry.register('b', handler, 1);
    const a = registry.get('a') as NonNullable<ReturnType<WorkerRegistry['get']>>;
    const busy: boolean[] = [registry.mostlyBusy()];
    for (let n = 0; n < 3; n += 1) {
      registry.take(a);
      busy.push(registry.mostlyBusy());
    }
    registry.take(registry.get('b') as NonNullable<ReturnType<WorkerRegistry['get']>>);
    busy.push(registry.mostlyBusy());
    // Capacity 4: 0 running (none busy), 1 and 2 (half free), 3 (1 free < 2), 4 (none free).
    expect(busy).toEqual([false, false, false, true, false]);
    const limited = new WorkerRegistry(2);
    limited.register('a', handler, 4);
    const worker = limited.get('a') as NonNullable<ReturnType<WorkerRegistry['get']>>;
    limited.take(worker);
    // Capacity 2 (the instance limit): 1 free is half, not fewer.
    expect(limited.mostlyBusy()).toBe(false);
  });

  it('no workers: no slots; an unknown name has none; a name is registered once', () => {
    const registry = new WorkerRegistry();
    expect(registry.freeSlots()).toEqual([]);
    expect(registry.hasFreeSlot('nobody')).toBe(false);
    expect(registry.size).toBe(0);
    registry.register('a', handler, 1);
    expect(() => registry.register('a', handler, 1)).toThrow(DuplicateWorkerError);
    expect(registry.size).toBe(1);
  });
});

describe('PauseGate', () => {
  function gate(states: PausedState[]) {
    const clock = new TestClock('2030-01-01T00:00:00Z');
    let reads = 0;
    const pauses = new PauseGate(
      async () => {
        reads += 1;
        return states[Math.min(reads - 1, states.length - 1)] as PausedState;
      },
      1_000,
      clock,
    );
    return { pauses, clock, reads: () => reads };
  }

  it('age boundary: the state read is reused until exactly maxAge old, then read again', async () => {
    const { pauses, clock, reads } = gate([['a'], []]);
    expect(pauses.stale).toBe(true);
    await pauses.refreshIfStale();
    expect(reads()).toBe(1);
    expect(pauses.isPaused('a')).toBe(true);
    clock.advance(999);
    await pauses.refreshIfStale();
    expect(reads()).toBe(1);
    clock.advance(1);
    expect(pauses.stale).toBe(true);
    await pauses.refreshIfStale();
    expect(reads()).toBe(2);
    expect(pauses.isPaused('a')).toBe(false);
  });

  it('names and everything: only the paused names, or every name under "all"', async () => {
    const { pauses } = gate([['a', 'b'], 'all', []]);
    expect(pauses.anyPaused).toBe(false);
    expect(pauses.isPaused('a')).toBe(false);
    await pauses.refresh();
    expect(pauses.anyPaused).toBe(true);
    expect([pauses.isPaused('a'), pauses.isPaused('b'), pauses.isPaused('c')]).toEqual([true, true, false]);
    await pauses.refresh();
    expect(pauses.isPaused('c')).toBe(true);
    expect(pauses.anyPaused).toBe(true);
    await pauses.refresh();
    expect(pauses.anyPaused).toBe(false);
  });

  it('invalidate(): read again before the next claim, however fresh', async () => {
    const { pauses, reads } = gate([[], ['a']]);
    await pauses.refresh();
    expect(pauses.stale).toBe(false);
    pauses.invalidate();
    expect(pauses.stale).toBe(true);
    await pauses.refreshIfStale();
    expect(reads()).toBe(2);
    expect(pauses.isPaused('a')).toBe(true);
  });

  it('isNamePaused: a name is paused by its own pause or by "all"', () => {
    expect(isNamePaused('all', 'x')).toBe(true);
    expect(isNamePaused(['x'], 'x')).toBe(true);
    expect(isNamePaused(['y'], 'x')).toBe(false);
    expect(isNamePaused([], 'x')).toBe(false);
  });
});
