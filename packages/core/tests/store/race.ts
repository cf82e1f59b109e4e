/**
 * A race put exactly where a store could lose it: the collection handed to the store runs `meddle`
 * (another writer's change, made through the real database) right after the store's n-th call of
 * one method has returned, before the store sees the reply. So a guard that re-checks the state in
 * its write can be shown to matter, deterministically, with no timing.
 */
import type { Collection, Document } from 'mongodb';

/** Which call to interfere after, and what the other writer does then. */
export interface Race {
  /** The collection method whose reply is held back (e.g. `'findOne'`). */
  readonly after: string;
  /** Which call of it (1 = the first), or `'every'` call. @defaultValue 1 */
  readonly call?: number | 'every';
  /** The other writer's change (use the unwrapped collection). */
  readonly meddle: () => Promise<unknown>;
}

/** `collection`, with `race.meddle` run between the chosen call(s) and the reply. */
export function withRace<T extends Document>(collection: Collection<T>, race: Race): Collection<T> {
  let calls = 0;
  return new Proxy(collection, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== race.after || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const reply = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        calls += 1;
        if (race.call === 'every' || calls === (race.call ?? 1)) await race.meddle();
        return reply;
      };
    },
  });
}
