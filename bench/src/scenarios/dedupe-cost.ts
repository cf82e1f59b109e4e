/**
 * What a deduplicating enqueue costs: database commands per `enqueue` call for each mode
 * (`onDuplicate: 'keep' | 'replace'`, `debounce` with and without reaching `maxWait`, `throttle`),
 * beside a plain enqueue and a plain `uniqueKey`, on an unstarted Monque (a producer). Calls are
 * sequential (one `await` after another), so no call shares a write with another; the bursts are
 * the same calls started at once. Agenda's `nowDebounced` (its debounce) is measured the same way.
 */
import { MongoBackend } from '@agendajs/mongo-backend';
import { Agenda } from 'agenda';
import { type Clock, type EnqueueOptions, Monque } from '../../../packages/core/src/index.js';
import { type BenchContext, withFreshCollection } from '../bench-context.js';
import type { CommandClassifier, CommandCounts } from '../command-counter.js';

/** One measured case. */
export interface DedupeCase {
  readonly label: string;
  /** The options of call `n` (0-based). */
  readonly options: (n: number) => EnqueueOptions;
  /** Calls made at once instead of one after another. */
  readonly concurrent?: boolean;
  /** Each call meets a running job holding the key (the previous call's job is marked running). */
  readonly behindRunning?: boolean;
  /** A clock moving 10 ms at each reading (a debounce then always pushes past its cap). */
  readonly movingClock?: boolean;
}

/** One case's result. */
export interface DedupeCost {
  readonly commandsPerCall: number;
  readonly counts: CommandCounts;
}

const NAME = 'bench-dedupe';

/** The cases, in the order printed. */
export const DEDUPE_CASES: readonly DedupeCase[] = [
  { label: 'plain enqueue (no key)', options: () => ({}) },
  { label: 'uniqueKey, one key', options: () => ({ uniqueKey: 'k' }) },
  { label: "onDuplicate 'keep', one key", options: () => ({ uniqueKey: 'k', onDuplicate: 'keep' }) },
  { label: "onDuplicate 'replace', one key", options: () => ({ uniqueKey: 'k', onDuplicate: 'replace' }) },
  {
    label: "onDuplicate 'replace', behind a running job",
    options: () => ({ uniqueKey: 'k', onDuplicate: 'replace' }),
    behindRunning: true,
  },
  { label: 'debounce 60 s, one key', options: () => ({ uniqueKey: 'k', debounce: 60_000 }) },
  {
    label: 'debounce at its maxWait cap, one key',
    options: () => ({ uniqueKey: 'k', debounce: 1_000, maxWait: 1_000 }),
    movingClock: true,
  },
  { label: 'throttle 1 h, one key (1 created)', options: () => ({ uniqueKey: 'k', throttle: 3_600_000 }) },
  { label: 'throttle 1 h, a new key each call', options: (n) => ({ uniqueKey: `k${n}`, throttle: 3_600_000 }) },
  { label: 'uniqueKey, one key, calls at once', options: () => ({ uniqueKey: 'k' }), concurrent: true },
  {
    label: 'debounce, one key, calls at once',
    options: () => ({ uniqueKey: 'k', debounce: 60_000 }),
    concurrent: true,
  },
];

function movingClock(): Clock {
  let now = Date.now();
  return {
    now: () => {
      now += 10;
      return new Date(now);
    },
  };
}

/** Makes `calls` enqueues of one case on a fresh collection; commands counted on the monitored client. */
export async function runDedupeCase(
  context: BenchContext,
  classify: CommandClassifier,
  spec: DedupeCase,
  calls: number,
): Promise<DedupeCost> {
  return withFreshCollection(context, 'dedupe', async (collection) => {
    const monque = new Monque(context.db, {
      collectionName: collection,
      ...(spec.movingClock ? { clock: movingClock() } : {}),
    });
    const jobs = context.setupDb.collection(collection);
    // Warm-up: index creation (and the throttle windows' TTL index) stay out of the figure.
    await monque.enqueue('warm-up', {}, { uniqueKey: 'w', throttle: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await jobs.deleteMany({});
    await context.setupDb.collection(`${collection}_throttle`).deleteMany({});
    if (spec.behindRunning) {
      const running = await monque.enqueue(NAME, {}, { uniqueKey: 'k' });
      await jobs.updateOne({ _id: running._id }, { $set: { status: 'processing' } });
    }
    let commands = 0;
    const counts: CommandCounts = { total: 0, byName: {}, byPurpose: {}, otherShapes: {} };
    const measure = async (work: () => Promise<unknown>) => {
      context.counter.start(classify);
      await work();
      const part = context.counter.stop();
      commands += part.total;
      counts.total += part.total;
      for (const [name, count] of Object.entries(part.byName)) counts.byName[name] = (counts.byName[name] ?? 0) + count;
    };
    if (spec.concurrent) {
      await measure(() =>
        Promise.all(Array.from({ length: calls }, (_, n) => monque.enqueue(NAME, { n }, spec.options(n)))),
      );
    } else {
      for (let n = 0; n < calls; n += 1) {
        let job: { _id: unknown } | undefined;
        await measure(async () => {
          job = await monque.enqueue(NAME, { n }, spec.options(n));
        });
        // Not counted: the job the call queued starts running, so the next call meets a running one.
        if (spec.behindRunning) await jobs.updateOne({ _id: job?._id as never }, { $set: { status: 'processing' } });
      }
    }
    await monque.stop();
    return { commandsPerCall: commands / calls, counts };
  });
}

/** Agenda's debounce (`nowDebounced`, trailing, 60 s) on one key, `calls` calls one after another. */
export async function runAgendaDebounce(
  context: BenchContext,
  classify: CommandClassifier,
  calls: number,
): Promise<DedupeCost> {
  return withFreshCollection(context, 'dedupe_agenda', async (collection) => {
    const agenda = new Agenda({ backend: new MongoBackend({ mongo: context.db, collection }) });
    await agenda.ready;
    await agenda.nowDebounced('warm-up', { key: 'w' }, { 'data.key': 'w' }, 60_000);
    await context.setupDb.collection(collection).deleteMany({});
    context.counter.start(classify);
    for (let n = 0; n < calls; n += 1) {
      await agenda.nowDebounced(NAME, { key: 'k', n }, { 'data.key': 'k' }, 60_000);
    }
    const counts = context.counter.stop();
    await agenda.stop();
    return { commandsPerCall: counts.total / calls, counts };
  });
}
