/**
 * The claimer's policy, one turn at a time, on a real collection: which jobs a turn takes and which
 * commands it sends for them. What is checked here is mostly cost (an idle turn reads nothing it
 * does not need, a name's own read only when it is backlogged, a crowded-out quiet name read again
 * once), plus the claim order within a shared read and the pause filter. The commands are counted
 * on the wire (a second, monitored client), the random slice is fixed, the clock stands still.
 */
import { freshCollectionName } from '@monque/test-backend';
import type { Collection } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { Claimer, type ClaimTurn } from '../../src/engine/claimer.js';
import { PauseGate } from '../../src/engine/pause-gate.js';
import type { ClaimRequest } from '../../src/engine/worker-registry.js';
import type { PausedState } from '../../src/queries.js';
import { ClaimStore } from '../../src/store/claim-store.js';
import { IndexManager } from '../../src/store/indexes.js';
import { InsertStore } from '../../src/store/insert-store.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { type CommandLog, openCommandLog } from '../helpers/command-log.js';
import { useTestDb } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';
import { type Race, withRace } from '../store/race.js';

const getDb = useTestDb(import.meta.url);
const T0 = new Date('2030-01-01T00:00:00Z');

/** One claimer on a fresh collection, its paused state, and the commands it sends. */
interface Bench {
  readonly claimer: Claimer;
  readonly collection: Collection<JobDocument>;
  /** Names of the commands sent to the jobs collection since the last call. */
  sent(): string[];
  /** How often the paused state was read. */
  readonly pauseReads: () => number;
  /** Sets what the next read of the paused state returns. */
  pause(state: PausedState): void;
  /** Jobs due before T0 in the order given (across calls), one per tag: `a1` is a job named `a`, `{ tag: 'a1' }` its data. */
  seed(...tags: readonly string[]): Promise<void>;
  readonly log: CommandLog;
}

async function bench(options: { race?: (unmonitored: Collection<JobDocument>) => Race } = {}): Promise<Bench> {
  const db = await getDb();
  const log = await openCommandLog(db.databaseName);
  const collectionName = freshCollectionName(db);
  const collection = log.db.collection<JobDocument>(collectionName);
  await new IndexManager(collection, []).ensure();
  log.clear();
  const clock = new TestClock(T0);
  let paused: PausedState = [];
  let reads = 0;
  const pauses = new PauseGate(
    async () => {
      reads += 1;
      return paused;
    },
    1_000,
    clock,
  );
  // The other writer of a race goes through the unmonitored client: its commands are not counted.
  const unmonitored = db.collection<JobDocument>(collectionName);
  const store = new ClaimStore(options.race ? withRace(collection, options.race(unmonitored)) : collection);
  let seeded = 0;
  const claimer = new Claimer({
    store,
    owner: 'instance-a',
    pauses,
    busyIds: () => [],
    timeout: 10_000,
    onLateClaim: () => {},
    giveBack: async () => {},
    // The last place of a widened window: a mutant that slices at spread 1 shows at once.
    random: () => 0.99,
  });
  const sent = () => {
    const names = log.commands
      .filter((event) => event.command[event.commandName] === collectionName)
      .map((event) => event.commandName);
    log.clear();
    return names;
  };
  return {
    claimer,
    collection,
    sent,
    pauseReads: () => reads,
    pause: (state) => {
      paused = state;
    },
    seed: async (...jobTags) => {
      const inserts = new InsertStore(collection);
      const results = await inserts.insertBatch(
        // Due in the order seeded, across calls.
        jobTags.map((tag) => ({
          name: tag.replace(/\d+$/, ''),
          data: { tag },
          nextRunAt: new Date(T0.getTime() - 60_000 + seeded++),
        })),
        T0,
      );
      expect(results.every((result) => 'doc' in result)).toBe(true);
      log.clear();
    },
    log,
  };
}

const tags = (turn: ClaimTurn) => turn.jobs.map((job) => (job.data as { tag: string }).tag).sort();
const want = (...requests: [string, number][]): ClaimRequest[] => requests.map(([name, limit]) => ({ name, limit }));

async function withBench<T>(work: (b: Bench) => Promise<T>, options?: Parameters<typeof bench>[0]): Promise<T> {
  const b = await bench(options);
  try {
    return await work(b);
  } finally {
    await b.log.close();
  }
}

describe('Claimer, one turn', () => {
  it('paused-state read: an idle turn (nothing due, nothing paused) does not read the paused state', async () => {
    await withBench(async (b) => {
      const turn = await b.claimer.claim(want(['a', 2], ['b', 2]), T0, new Set());
      expect(turn.jobs).toEqual([]);
      expect(b.sent()).toEqual(['find']);
      expect(b.pauseReads()).toBe(0);
    });
  });

  it('pause filter after the read: a name found paused by the read after the find is not claimed, and nothing is written', async () => {
    await withBench(async (b) => {
      await b.seed('a1', 'a2');
      b.pause(['a']);
      const turn = await b.claimer.claim(want(['a', 2], ['b', 2]), T0, new Set());
      expect(turn).toEqual({ jobs: [], full: new Set(['a']) });
      expect(b.sent()).toEqual(['find']);
      expect(b.pauseReads()).toBe(1);
      // Now known to be paused: the next turn skips it without a command.
      const next = await b.claimer.claim(want(['a', 2]), T0, new Set());
      expect(next.jobs).toEqual([]);
      expect(b.sent()).toEqual([]);
    });
  });

  it('single-slot path: with the paused state fresh, one free slot of one name is one findAndModify, and that name is full', async () => {
    await withBench(async (b) => {
      await b.seed('a1', 'a2', 'b1');
      // Warms the paused state up (the shared read finds a1 a2; b, crowded out, is read again).
      await b.claimer.claim(want(['a', 1], ['b', 1]), T0, new Set());
      expect(b.sent()).toEqual(['find', 'find', 'update']);
      const turn = await b.claimer.claim(want(['a', 1]), T0, new Set());
      expect(tags(turn)).toEqual(['a2']);
      expect(turn.full).toEqual(new Set(['a']));
      expect(b.sent()).toEqual(['findAndModify']);
    });
  });

  it('one free slot in each of two names: both are claimed in the same turn (the single-slot path is for one name only)', async () => {
    await withBench(async (b) => {
      await b.seed('a1', 'b1', 'a2');
      await b.claimer.claim(want(['a', 1], ['b', 1]), T0, new Set()); // the paused state is fresh now
      await b.seed('a3', 'b2');
      const turn = await b.claimer.claim(want(['a', 1], ['b', 1]), T0, new Set());
      expect(tags(turn)).toEqual(['a2', 'b2']);
      expect(turn.full).toEqual(new Set(['a', 'b']));
    });
  });

  it('full set: a name whose every free slot found a job is full; one with fewer jobs than slots, or none, is not', async () => {
    await withBench(async (b) => {
      await b.seed('a1', 'a2', 'b1');
      const turn = await b.claimer.claim(want(['a', 2], ['b', 2], ['c', 2]), T0, new Set());
      expect(tags(turn)).toEqual(['a1', 'a2', 'b1']);
      expect(turn.full).toEqual(new Set(['a']));
      expect(b.sent()).toEqual(['find', 'update']);
    });
  });

  it('claim order in a shared read: a name with more candidates than slots takes its longest due, not a random slice', async () => {
    await withBench(async (b) => {
      await b.seed('a1', 'a2', 'a3', 'b1');
      // 4 slots (a: 2, b: 2): the shared read returns a1 a2 a3 b1; a takes a1 a2 (spread 1).
      const turn = await b.claimer.claim(want(['a', 2], ['b', 2]), T0, new Set());
      expect(tags(turn)).toEqual(['a1', 'a2', 'b1']);
    });
  });

  it('backlogged names: each gets its own read, the quiet ones share one, and no job is read twice', async () => {
    await withBench(async (b) => {
      await b.seed('a1', 'a2', 'b1');
      // a has 3 free slots and 2 jobs: read in the shared read too, they would be picked twice.
      const turn = await b.claimer.claim(want(['a', 3], ['b', 2]), T0, new Set(['a']));
      expect(tags(turn)).toEqual(['a1', 'a2', 'b1']);
      expect(turn.full).toEqual(new Set());
      // Two reads (b's shared one, a's own) and one write that took all three: no read-back.
      expect(b.sent()).toEqual(['find', 'find', 'update']);
    });
  });

  it('every name backlogged: one read per name, no shared read', async () => {
    await withBench(async (b) => {
      await b.seed('a1', 'b1');
      const turn = await b.claimer.claim(want(['a', 2], ['b', 2]), T0, new Set(['a', 'b']));
      expect(tags(turn)).toEqual(['a1', 'b1']);
      expect(b.sent()).toEqual(['find', 'find', 'update']);
    });
  });

  it('one quiet name whose read came back full is not read again', async () => {
    await withBench(async (b) => {
      await b.seed('a1', 'a2', 'a3');
      const turn = await b.claimer.claim(want(['a', 2]), T0, new Set());
      expect(tags(turn)).toEqual(['a1', 'a2']);
      expect(b.sent()).toEqual(['find', 'update']);
    });
  });

  it('crowded out: a quiet name with fewer jobs in the full shared read than slots reads again on its own, without taking a job twice', async () => {
    await withBench(async (b) => {
      // The shared read (4 slots) returns a1 a2 a3 b1: b found 1 of its 2 slots, so b is read
      // again (b1 b2); b1 is not taken twice, so the write takes all four it asked for.
      await b.seed('a1', 'a2', 'a3', 'b1', 'b2');
      const turn = await b.claimer.claim(want(['a', 2], ['b', 2]), T0, new Set());
      expect(tags(turn)).toEqual(['a1', 'a2', 'b1', 'b2']);
      expect(b.sent()).toEqual(['find', 'find', 'update']);
    });
  });

  it('crowded out: a name that found exactly its slots is not read again; one that found none is', async () => {
    await withBench(async (b) => {
      // 4 slots (a: 2, b: 1, c: 1): the shared read returns a1 a2 a3 b1; b has its one, c none.
      await b.seed('a1', 'a2', 'a3', 'b1', 'c1');
      const turn = await b.claimer.claim(want(['a', 2], ['b', 1], ['c', 1]), T0, new Set());
      expect(tags(turn)).toEqual(['a1', 'a2', 'b1', 'c1']);
      expect(b.sent()).toEqual(['find', 'find', 'update']);
    });
  });

  it('contention: a claim that lost some jobs to another instance reads back what it got, then reads a window four shares wide, taking a whole share', async () => {
    await withBench(
      async (b) => {
        await b.seed(...Array.from({ length: 8 }, (_, n) => `a${n + 1}`));
        // Another instance takes a1 between this turn's read and its write.
        const first = await b.claimer.claim(want(['a', 2]), T0, new Set());
        expect(tags(first)).toEqual(['a2']);
        expect(b.sent()).toEqual(['find', 'update', 'find']);
        // Spread 4: the next read asks for four times the free slots (a3 … a8, six left) and, with
        // random fixed at the end, takes the last whole share of two: a7 a8.
        const second = await b.claimer.claim(want(['a', 2]), T0, new Set());
        expect(tags(second)).toEqual(['a7', 'a8']);
        const read = b.log.commands.find((event) => event.commandName === 'find');
        expect(read?.command.limit).toBe(8);
        expect(b.sent()).toEqual(['find', 'update']);
        // An uncontended claim halves the spread: 2, a window of a3 … a6, its last share a5 a6 …
        const third = await b.claimer.claim(want(['a', 2]), T0, new Set());
        expect(tags(third)).toEqual(['a5', 'a6']);
        // … and again: back to the longest due, a3 a4.
        const fourth = await b.claimer.claim(want(['a', 2]), T0, new Set());
        expect(tags(fourth)).toEqual(['a3', 'a4']);
      },
      {
        race: (unmonitored) => ({
          after: 'find',
          meddle: () =>
            unmonitored.updateOne(
              { 'data.tag': 'a1' },
              { $set: { status: 'processing', owner: 'instance-b', claimToken: 'other', lockedAt: T0 } },
            ),
        }),
      },
    );
  });
});
