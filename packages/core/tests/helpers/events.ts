/**
 * Waiting helpers shared by the core and Ts.ED tests: the next matching event of a scheduler, and
 * a promise a test resolves by hand.
 */
import type { Monque, MonqueEventMap } from '../../src/index.js';

/** Resolves with the first payload of `event` for which `match` holds; rejects after `timeoutMs`. */
export function nextEvent<K extends keyof MonqueEventMap>(
  monque: Monque,
  event: K,
  match: (payload: MonqueEventMap[K]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<MonqueEventMap[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      monque.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
    }, timeoutMs);
    const listener = (payload: MonqueEventMap[K]): void => {
      if (!match(payload)) return;
      clearTimeout(timer);
      monque.off(event, listener);
      resolve(payload);
    };
    monque.on(event, listener);
  });
}

/** A promise with its resolve function, for handlers that a test releases. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
