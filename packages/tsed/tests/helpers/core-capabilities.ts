/**
 * Probes of core features that `@monque/tsed` passes through but core may not implement yet (its
 * engine and operations API are being rewritten). A test that needs a missing one skips with the
 * reason, visibly, and runs by itself once core has it. Each probe uses a plain `Monque` on a
 * collection of its own, never the Ts.ED module.
 */
import { freshCollectionName } from '@monque/test-backend';
import type { Db } from 'mongodb';
import { Monque, type MonqueEventMap } from '../../src/index.js';

/** `true`, or why the feature is missing. */
export type Capability = true | string;

const cache = new Map<string, Promise<Capability>>();

function once(key: string, probe: () => Promise<Capability>): Promise<Capability> {
  let result = cache.get(key);
  if (!result) {
    result = probe();
    cache.set(key, result);
  }
  return result;
}

/** Runs `body` with a started plain Monque on a fresh collection of `db`, then stops it and empties the collection. */
async function withPlainMonque<T>(db: Db, body: (monque: Monque) => Promise<T>): Promise<T> {
  const collectionName = freshCollectionName(db, 'probe');
  const monque = new Monque(db, { collectionName, pollInterval: 20, baseRetryInterval: 10, shutdownTimeout: 2_000 });
  try {
    return await body(monque);
  } finally {
    await monque.stop();
    await db.collection(collectionName).deleteMany({});
  }
}

function next<K extends keyof MonqueEventMap>(monque: Monque, event: K): Promise<MonqueEventMap[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`probe: no '${event}' within 5 s`)), 5_000);
    monque.once(event, (payload) => {
      clearTimeout(timer);
      resolve(payload);
    });
  });
}

/** Does core report a handler's return value in `job:complete` (and store it as `job.result`)? */
export function handlerResults(db: Db): Promise<Capability> {
  return once('results', () =>
    withPlainMonque(db, async (monque) => {
      monque.worker('probe-result', () => 'probe');
      await monque.start();
      const completed = next(monque, 'job:complete');
      await monque.enqueue('probe-result', {});
      const { result } = await completed;
      return result === 'probe' || "core does not report handler results yet (job:complete's result is undefined)";
    }),
  );
}

/** Does core apply a worker's own `maxRetries` (instead of the instance's)? */
export function workerRetryPolicy(db: Db): Promise<Capability> {
  return once('worker-policy', () =>
    withPlainMonque(db, async (monque) => {
      monque.worker(
        'probe-policy',
        () => {
          throw new Error('probe');
        },
        { maxRetries: 1 },
      );
      await monque.start();
      const failed = next(monque, 'job:fail');
      await monque.enqueue('probe-policy', {});
      const { willRetry } = await failed;
      return !willRetry || 'core does not apply a worker-level maxRetries yet';
    }),
  );
}

/** Is core's operations API (`getJobs`, `retryJob`, `pause` …) implemented? */
export function operationsApi(db: Db): Promise<Capability> {
  return once('operations', () =>
    withPlainMonque(db, async (monque) => {
      try {
        await monque.getJobs({ status: 'failed' });
        await monque.getPaused();
        return true;
      } catch (error) {
        return `core's operations API is not available yet (${error instanceof Error ? error.message : String(error)})`;
      }
    }),
  );
}
