/**
 * Deduplicating enqueues (`onDuplicate`, `debounce`, `throttle`), one or many: gives each call its
 * identity (the `_id` its job would get, a token stamped on what it writes) and hands it to the
 * store of its mode. They are sent on their own, never through the enqueue coalescer: each call's
 * effect depends on the state it finds, which a batch of blind upserts cannot express.
 *
 * `enqueueMany` items with a mode: the items of one name and key (those with a mode and, so that
 * their order holds, those without one, which then act as `onDuplicate: 'keep'`) are written one
 * after the other in the order given; different keys go in parallel (at most 32 at once), or one after the
 * other inside a transaction.
 */
import { randomUUID } from 'node:crypto';
import type { ClientSession, ObjectId } from 'mongodb';
import type { DedupeOutcome, DedupeResult, DedupeStore } from './store/dedupe-store.js';
import type { InsertResult, NewJob } from './store/insert-store.js';
import type { ThrottleStore } from './store/throttle-store.js';
import { WriteLedger } from './store/write-ledger.js';
import type { DedupeMode } from './validation/dedupe-options.js';

/** What the deduplicator needs. */
export interface DeduplicatorDeps {
  readonly dedupe: DedupeStore;
  readonly throttles: ThrottleStore;
  /** A new `ObjectId` of the `Db`'s driver. */
  readonly newId: () => ObjectId;
}

/** One `enqueueMany` item: its job, and its mode when it has one. */
export interface ManyItem {
  job: NewJob;
  mode?: DedupeMode | undefined;
}

/** One item's outcome in `writeMany`: its job and what its call did, or the error that kept it out. */
export type ManyResult = { doc: DedupeResult['doc']; outcome?: DedupeOutcome } | { error: unknown };

/** Most keys of one `enqueueMany` written at once. */
const PARALLEL_KEYS = 32;

function keyOf(job: NewJob): string | undefined {
  return job.uniqueKey === undefined ? undefined : JSON.stringify([job.name, job.uniqueKey]);
}

/** Writes deduplicating enqueues through the store of their mode. */
export class Deduplicator {
  constructor(private readonly deps: DeduplicatorDeps) {}

  /**
   * Writes one deduplicating enqueue of `job` (with `uniqueKey`) in `mode`.
   * @param ledger - records the call's writes; its caller may withdraw the call through it
   */
  write<T>(
    job: NewJob<T>,
    mode: DedupeMode,
    now: Date,
    session?: ClientSession,
    ledger = new WriteLedger(),
  ): Promise<DedupeResult<T>> {
    const call = { job, mode, now, id: this.deps.newId(), token: randomUUID(), ledger };
    return mode.kind === 'throttle'
      ? this.deps.throttles.write(call, mode.ms, session)
      : this.deps.dedupe.write(call, session);
  }

  /**
   * Writes `items` of which some have a mode: the keys with a mode item here (in order per key),
   * the rest through `insertPlain` (the usual batch). Returns each item's result, in order.
   */
  async writeMany(
    items: readonly ManyItem[],
    now: Date,
    insertPlain: (jobs: NewJob[]) => Promise<InsertResult[]>,
    session?: ClientSession,
  ): Promise<ManyResult[]> {
    const results: ManyResult[] = new Array(items.length);
    const dedupedKeys = new Set(items.filter((item) => item.mode).map((item) => keyOf(item.job)));
    const byKey = new Map<string, number[]>();
    const plain: number[] = [];
    items.forEach((item, index) => {
      const key = keyOf(item.job);
      if (key === undefined || !dedupedKeys.has(key)) {
        plain.push(index);
        return;
      }
      byKey.set(key, [...(byKey.get(key) ?? []), index]);
    });
    const writePlain = async () => {
      if (plain.length === 0) return;
      const written = await insertPlain(plain.map((index) => (items[index] as ManyItem).job));
      plain.forEach((index, position) => {
        results[index] = written[position] as InsertResult;
      });
    };
    const writeKey = async (indexes: readonly number[]) => {
      for (const index of indexes) {
        const { job, mode } = items[index] as ManyItem;
        try {
          results[index] = await this.write(job, mode ?? { kind: 'keep' }, now, session);
        } catch (error) {
          results[index] = { error };
          if (session) throw error;
        }
      }
    };
    if (session) {
      // One transaction's commands go one at a time.
      await writePlain();
      for (const indexes of byKey.values()) await writeKey(indexes);
    } else {
      const queue = [...byKey.values()];
      const worker = async () => {
        for (let indexes = queue.shift(); indexes; indexes = queue.shift()) await writeKey(indexes);
      };
      await Promise.all([writePlain(), ...Array.from({ length: Math.min(PARALLEL_KEYS, queue.length) }, worker)]);
    }
    return results;
  }
}
