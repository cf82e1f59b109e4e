/**
 * The flow claimer's decisions one turn at a time, on a real collection with races put exactly
 * where they matter (`tests/store/race.ts`): starts taken in a rate window but not used (a job
 * taken by someone else between the read and the claim) are given back; a rate window changed
 * by another instance between its read and the reservation refuses the reservation, and the turn
 * says "look again at once" instead of claiming unreserved jobs.
 */
import { freshCollectionName } from '@monque/test-backend';
import type { Collection, Db } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { Claimer, type ClaimTurn } from '../../src/engine/claimer.js';
import { LimitedClaimer } from '../../src/engine/limits/limited-claimer.js';
import { PauseGate } from '../../src/engine/pause-gate.js';
import type { FlowControlOptions } from '../../src/flow-control-options.js';
import { JobStatus } from '../../src/job.js';
import { ClaimStore } from '../../src/store/claim-store.js';
import { IndexManager } from '../../src/store/indexes.js';
import { InsertStore } from '../../src/store/insert-store.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { LimitStore, rateIdOf } from '../../src/store/limit-store.js';
import { LimitedClaimStore } from '../../src/store/limited-claim-store.js';
import { useTestDb } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';
import { type Race, withRace } from '../store/race.js';

const getDb = useTestDb(import.meta.url);
const T0 = new Date('2030-01-01T00:00:00Z');

interface Bench {
  readonly claimer: Claimer;
  readonly jobs: Collection<JobDocument>;
  readonly limits: LimitStore;
  turn(): Promise<ClaimTurn>;
}

const limitStores: LimitStore[] = [];
afterAll(async () => {
  for (const limits of limitStores) await limits.collection.deleteMany({});
});

async function bench(
  db: Db,
  flow: FlowControlOptions,
  races: { jobs?: (jobs: Collection<JobDocument>) => Race; limits?: (limits: LimitStore) => Race } = {},
): Promise<Bench> {
  const name = freshCollectionName(db);
  const jobs = db.collection<JobDocument>(name);
  await new IndexManager(jobs, []).ensure();
  const limits = new LimitStore(db, name);
  limitStores.push(limits);
  const clock = new TestClock(T0);
  const raced = races.jobs ? withRace(jobs, races.jobs(jobs)) : jobs;
  const claims = new ClaimStore(raced);
  const racedLimits = races.limits
    ? Object.assign(Object.create(LimitStore.prototype) as LimitStore, limits, {
        collection: withRace(limits.collection, races.limits(limits)),
      })
    : limits;
  const claimer = new Claimer({
    store: claims,
    owner: 'me',
    pauses: new PauseGate(async () => [], 1_000, clock),
    busyIds: () => [],
    timeout: 10_000,
    onLateClaim: () => {},
    giveBack: async () => undefined,
    limited: (bridge) =>
      new LimitedClaimer({
        store: new LimitedClaimStore(raced, claims),
        claims,
        limits: racedLimits,
        owner: 'me',
        clock,
        timeout: 10_000,
        limitsOf: () => flow,
        random: () => 0,
        ...bridge,
      }),
  });
  return { claimer, jobs, limits, turn: () => claimer.claim([{ name: 'api', limit: 2 }], T0, new Set()) };
}

async function seed(jobs: Collection<JobDocument>, count: number) {
  const inserted = await new InsertStore(jobs).insertBatch(
    Array.from({ length: count }, (_, n) => ({
      name: 'api',
      data: { n },
      nextRunAt: new Date(T0.getTime() - 1_000 + n),
    })),
    T0,
  );
  return inserted.map((result) => ('doc' in result ? result.doc : undefined)).filter((doc) => doc !== undefined);
}

const startsIn = async (limits: LimitStore) => {
  const [record] = await limits.readRates([rateIdOf('api', null)]);
  return Object.values(record?.starts ?? {}).reduce((sum, count) => sum + count, 0);
};

describe('flow claimer', () => {
  it('give-back: starts taken for a job someone else took between the read and the claim are given back', async () => {
    const db = await getDb();
    let taken: JobDocument[] = [];
    const run = await bench(
      db,
      { rateLimit: { max: 2, duration: 60_000 } },
      {
        jobs: (jobs) => ({
          after: 'find',
          meddle: () =>
            jobs.updateOne({ _id: (taken[1] as JobDocument)._id }, { $set: { status: JobStatus.CANCELLED } }),
        }),
      },
    );
    taken = await seed(run.jobs, 2);
    const turn = await run.turn();
    expect(turn.jobs.map((job) => job._id)).toEqual([(taken[0] as JobDocument)._id]);
    // Reserved 2, claimed 1: the other start is given back (asynchronously).
    await expect.poll(() => startsIn(run.limits)).toBe(1);
  });

  it('version race: a rate window changed after its read refuses the reservation; the turn claims nothing and asks to look again', async () => {
    const db = await getDb();
    const run = await bench(
      db,
      { rateLimit: { max: 2, duration: 60_000 } },
      {
        limits: (limits) => ({
          after: 'find',
          // Another instance takes both starts between this read and this reservation.
          meddle: () =>
            limits.reserve(
              [{ name: 'api', group: null, version: 0, starts: { e1: 2 }, expireAt: new Date(T0.getTime() + 60_000) }],
              'theirs',
              T0,
            ),
        }),
      },
    );
    await seed(run.jobs, 2);
    const turn = await run.turn();
    expect(turn.jobs).toEqual([]);
    expect(turn.full.has('api')).toBe(true);
    expect(await run.jobs.countDocuments({ status: JobStatus.PENDING })).toBe(2);
    expect((await run.limits.readRates([rateIdOf('api', null)]))[0]?.token).toBe('theirs');
  });
});
