/**
 * A race put exactly where a store could lose it: the collection handed to the store runs `meddle`
 * (another writer's change, made through the real database) right after the store's n-th call of
 * one method has been answered, before the store sees the reply. So a guard that re-checks the
 * state in its write can be shown to matter, deterministically, with no timing.
 */
import type { Collection, Document } from 'mongodb';

/** Which call to interfere after, and what the other writer does then. */
export interface Race {
  /** The collection method whose reply is held back (e.g. `'findOne'`; `'find'` waits for `toArray()`). */
  readonly after: string;
  /** Which call of it (1 = the first), or `'every'` call. @defaultValue 1 */
  readonly call?: number | 'every';
  /** The other writer's change (use the unwrapped collection). */
  readonly meddle: () => Promise<unknown>;
}

/** A cursor whose `toArray()` runs `afterReply` once its documents are read. */
function heldCursor<C extends object>(cursor: C, afterReply: () => Promise<void>): C {
  const proxy: C = new Proxy(cursor, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property === 'toArray') {
        return async () => {
          const docs = await (value as () => Promise<unknown>).call(target);
          await afterReply();
          return docs;
        };
      }
      // Chained calls (sort, limit, project …) return the cursor itself: keep holding it.
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}

/** `collection`, with `race.meddle` run between the chosen call(s) and the reply. */
export function withRace<T extends Document>(collection: Collection<T>, race: Race): Collection<T> {
  let calls = 0;
  const afterReply = async (): Promise<void> => {
    calls += 1;
    if (race.call === 'every' || calls === (race.call ?? 1)) await race.meddle();
  };
  return new Proxy(collection, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== race.after || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (result instanceof Promise) {
          return result.then(async (reply) => {
            await afterReply();
            return reply;
          });
        }
        return heldCursor(result as object, afterReply);
      };
    },
  });
}

/** `collection`, counting the calls of `method` (answered or refused) in `counter.calls`. */
export function countingCalls<T extends Document>(
  collection: Collection<T>,
  method: string,
): { collection: Collection<T>; readonly calls: number } {
  const counter = { collection, calls: 0 };
  counter.collection = new Proxy(collection, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== method || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        counter.calls += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return counter;
}
