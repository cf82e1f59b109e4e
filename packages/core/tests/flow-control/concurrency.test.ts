/**
 * `globalConcurrency` and `groupConcurrency`, black-box with several instances on one collection:
 * never more handlers running than the limit, as the handlers' own ledger sees it, and the limit is
 * used (the first handlers wait until the limit is reached, so a limit that is never reached fails
 * by timing out). A freed slot starts the next job at once, not a poll later; a race between
 * reading the running jobs and claiming is settled by the database (the unique slot indexes).
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import type { Collection, ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { JobStatus, type Monque, type WorkerOptions } from '../../src/index.js';
import { ClaimStore } from '../../src/store/claim-store.js';
import { IndexManager } from '../../src/store/indexes.js';
import type { JobDocument } from '../../src/store/job-document.js';
import { LimitedClaimStore } from '../../src/store/limited-claim-store.js';
import { openCommandLog } from '../helpers/command-log.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';
import { withRace } from '../store/race.js';
import { Ledger } from './ledger.js';

const getDb = useTestDb(import.meta.url);

/** `count` instances on one collection, each with a worker of `name` that records in `ledger`. */
async function instances(
  count: number,
  name: string,
  options: WorkerOptions,
  ledger: Ledger,
  gate: () => Promise<void>,
) {
  const db = await getDb();
  const collectionName = freshCollectionName(db);
  const all: Monque[] = [];
  for (let i = 0; i < count; i += 1) {
    const monque = createMonque(db, { collectionName });
    monque.worker(
      name,
      async (job) => {
        const key = job.group === undefined ? name : `${name}/${job.group}`;
        ledger.enter(name);
        if (key !== name) ledger.enter(key);
        await gate();
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (key !== name) ledger.leave(key);
        ledger.leave(name);
      },
      options,
    );
    all.push(monque);
  }
  return { db, all };
}

describe('globalConcurrency', () => {
  it('3 instances with concurrency 4 and globalConcurrency 3: never more than 3 run, and 3 do', async () => {
    const ledger = new Ledger();
    let gateOpen = false;
    const gate = async () => {
      if (!gateOpen) await ledger.until(() => ledger.runningOf('api') >= 3, 'three handlers running at once');
      gateOpen = true;
    };
    const { db, all } = await instances(3, 'api', { concurrency: 4, globalConcurrency: 3 }, ledger, gate);
    await all[0]?.enqueueMany(Array.from({ length: 24 }, (_, n) => ({ name: 'api', data: { n } })));
    await Promise.all(all.map((monque) => monque.start()));
    const jobs = jobsOf(db, all[0] as Monque);
    await waitUntil(
      async () => (await jobs.countDocuments({ status: JobStatus.COMPLETED })) === 24,
      'every job to complete',
    );
    await Promise.all(all.map((monque) => monque.stop()));
    expect(ledger.peakOf('api')).toBe(3);
    expect(ledger.startsOf('api')).toBe(24);
    // Slots end with the runs.
    expect(await jobs.countDocuments({ limitSlot: { $exists: true } })).toBe(0);
  });

  it('globalConcurrency 1 with two instances of concurrency 1 (the single-slot path): never two at once', async () => {
    const ledger = new Ledger();
    let gateOpen = false;
    const gate = async () => {
      // Let the other instance look while this run holds the slot.
      if (!gateOpen) await new Promise((resolve) => setTimeout(resolve, 100));
      gateOpen = true;
    };
    const { db, all } = await instances(2, 'solo', { concurrency: 1, globalConcurrency: 1 }, ledger, gate);
    await all[0]?.enqueueMany(Array.from({ length: 6 }, (_, n) => ({ name: 'solo', data: { n } })));
    await Promise.all(all.map((monque) => monque.start()));
    const jobs = jobsOf(db, all[0] as Monque);
    await waitUntil(
      async () => (await jobs.countDocuments({ status: JobStatus.COMPLETED })) === 6,
      'every job to complete',
    );
    await Promise.all(all.map((monque) => monque.stop()));
    expect(ledger.peakOf('solo')).toBe(1);
  });

  it('a freed slot starts the next job at once: globalConcurrency 1, poll interval 10 s, 4 jobs in well under one poll', async () => {
    const db = await getDb();
    const monque = createMonque(db, { pollInterval: 10_000, changeStreamWakeups: false });
    const ledger = new Ledger();
    monque.worker(
      'one-at-a-time',
      async () => {
        ledger.enter('one');
        await new Promise((resolve) => setTimeout(resolve, 5));
        ledger.leave('one');
      },
      { concurrency: 5, globalConcurrency: 1 },
    );
    await monque.enqueueMany(Array.from({ length: 4 }, (_, n) => ({ name: 'one-at-a-time', data: { n } })));
    const began = Date.now();
    await monque.start();
    await ledger.until(() => ledger.startsOf('one') === 4 && ledger.runningOf('one') === 0, 'four runs', 9_000);
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(ledger.peakOf('one')).toBe(1);
    await monque.stop();
  });

  it.each([
    ['timed out', { timeout: 200 }],
    ['cancelled', {}],
  ] as const)(
    'a handler %s but ignoring its signal keeps its instance from starting another in its place: globalConcurrency 1',
    async (how, jobOptions) => {
      const db = await getDb();
      const log = await openCommandLog(db.databaseName);
      const monque = createMonque(log.db, {
        collectionName: freshCollectionName(db),
        changeStreamWakeups: false,
        heartbeatInterval: 100,
      });
      const release = deferred();
      try {
        const first = deferred();
        const started: string[] = [];
        monque.worker(
          'call',
          async (job) => {
            started.push((job.data as { label: string }).label);
            if (started.length === 1) {
              first.resolve();
              await release.promise; // ignores its signal
            }
          },
          { concurrency: 2, globalConcurrency: 1 },
        );
        const past = Date.now() - 10_000;
        const ignoring = await monque.enqueue('call', { label: 'ignoring' }, { ...jobOptions, runAt: new Date(past) });
        await monque.enqueue('call', { label: 'next' }, { runAt: new Date(past + 1) });
        const ended = nextEvent(monque, how === 'cancelled' ? 'job:cancelled' : 'job:fail');
        await monque.start();
        await first.promise;
        if (how === 'cancelled') await monque.cancelJob(ignoring._id);
        await ended;
        // Two more reads of the name's running jobs: a claim turn after the slot was freed in the
        // database has read and decided (or the next job started).
        const runningReads = () =>
          log.commands.filter((event) => event.commandName === 'find' && event.command.filter?.status === 'processing')
            .length;
        const before = runningReads();
        await waitUntil(() => runningReads() >= before + 2 || started.length > 1, 'two claim turns');
        expect(started).toEqual(['ignoring']);
        release.resolve();
        // (The timed-out job's own retry may start right after: it is due again too.)
        await waitUntil(() => started.length >= 2, 'the next job to start once the handler returned');
        expect(started[1]).toBe('next');
      } finally {
        release.resolve();
        await monque.stop();
        await log.close();
      }
    },
  );

  it('unique slot guard: an instance whose read of the running jobs is overtaken by another claim cannot exceed the limit', async () => {
    const db = await getDb();
    const collection = db.collection<JobDocument>(freshCollectionName(db));
    const monque = createMonque(db, { collectionName: collection.collectionName });
    await new IndexManager(collection, []).ensureSlots(); // as an instance with a concurrency limit does
    const claims = new ClaimStore(collection);
    const [mine, theirs] = await monque.enqueueMany([
      { name: 'api', data: { n: 1 } },
      { name: 'api', data: { n: 2 } },
    ]);
    // Instance A reads the running jobs (none) …
    let raced = false;
    const raceStore = new LimitedClaimStore(
      withRace(collection, {
        after: 'find',
        meddle: async () => {
          // … and before it claims, instance B takes the one slot of globalConcurrency 1.
          raced = true;
          const other = new LimitedClaimStore(collection, claims);
          expect(
            await other.claim([{ id: (theirs as { _id: ObjectId })._id, name: 'api', limitSlot: 0 }], {
              owner: 'b',
              token: 'tb',
              now: new Date(),
            }),
          ).toBe(1);
        },
      }) as Collection<JobDocument>,
      claims,
    );
    const running = await raceStore.findRunning('api');
    expect(raced).toBe(true);
    expect(running).toEqual([]);
    // A plans slot 0 from what it read: the database refuses it.
    expect(
      await raceStore.claim([{ id: (mine as { _id: ObjectId })._id, name: 'api', limitSlot: 0 }], {
        owner: 'a',
        token: 'ta',
        now: new Date(),
      }),
    ).toBeUndefined();
    expect(await collection.countDocuments({ status: JobStatus.PROCESSING })).toBe(1);
  });
});

describe('the unique slot indexes', () => {
  const slotIndexes = async (collection: Collection<JobDocument>) =>
    (await collection.listIndexes().toArray())
      .filter((index) => index.name === 'monque_limit_slot' || index.name === 'monque_group_slot')
      .map((index) => ({ name: index.name, unique: index.unique }));

  it('exist once an instance with a concurrency limit has claimed, before its first run starts', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const collection = db.collection<JobDocument>(monque.options.collectionName);
    let seen: unknown;
    monque.worker(
      'api',
      async () => {
        seen ??= await slotIndexes(collection);
      },
      { globalConcurrency: 2 },
    );
    await monque.enqueue('api', {});
    expect(await slotIndexes(collection)).toEqual([]);
    await monque.start();
    await waitUntil(() => seen !== undefined, 'the run');
    await monque.stop();
    expect(seen).toEqual([
      { name: 'monque_limit_slot', unique: true },
      { name: 'monque_group_slot', unique: true },
    ]);
  });

  it('are never created where no worker has a concurrency limit (every write would check them)', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    monque.worker('api', () => {}, { rateLimit: { max: 10, duration: 1_000 } });
    const done = new Promise((resolve) => monque.once('job:complete', resolve));
    await monque.enqueue('api', {}, { group: 'g' });
    await monque.start();
    await done;
    await monque.stop();
    expect(await slotIndexes(db.collection<JobDocument>(monque.options.collectionName))).toEqual([]);
  });
});

describe('groupConcurrency', () => {
  it('2 instances, groupConcurrency 2: never more than 2 of one group run, while other groups run beside it', async () => {
    const ledger = new Ledger();
    let gateOpen = false;
    const gate = async () => {
      if (!gateOpen) {
        await ledger.until(
          () => ledger.runningOf('import/a') >= 2 && ledger.runningOf('import/b') >= 2,
          'two jobs of each group running at once',
        );
      }
      gateOpen = true;
    };
    const { db, all } = await instances(2, 'import', { concurrency: 3, groupConcurrency: 2 }, ledger, gate);
    await all[0]?.enqueueMany(
      ['a', 'b'].flatMap((group) =>
        Array.from({ length: 8 }, (_, n) => ({ name: 'import', data: { n }, options: { group } })),
      ),
    );
    await Promise.all(all.map((monque) => monque.start()));
    const jobs = jobsOf(db, all[0] as Monque);
    await waitUntil(
      async () => (await jobs.countDocuments({ status: JobStatus.COMPLETED })) === 16,
      'every job to complete',
    );
    await Promise.all(all.map((monque) => monque.stop()));
    expect(ledger.peakOf('import/a')).toBe(2);
    expect(ledger.peakOf('import/b')).toBe(2);
    expect(ledger.peakOf('import')).toBeGreaterThanOrEqual(4);
    expect(await jobs.countDocuments({ groupSlot: { $exists: true } })).toBe(0);
  });

  it('a group at its cap holds up no other group: group a runs its 2 until group b has run all 12 beside it', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const ledger = new Ledger();
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    monque.worker(
      'import',
      async (job) => {
        const key = `import/${job.group}`;
        ledger.enter(key);
        // Group a's runs hold its 2 slots until the test ends: only group b can use the 2 others.
        if (job.group === 'a') await released;
        else await new Promise((resolve) => setTimeout(resolve, 5));
        ledger.leave(key);
      },
      { concurrency: 4, groupConcurrency: 2 },
    );
    await monque.enqueueMany(
      ['a', 'b'].flatMap((group) =>
        Array.from({ length: group === 'a' ? 20 : 12 }, (_, n) => ({
          name: 'import',
          data: { n },
          options: { group },
        })),
      ),
    );
    try {
      await monque.start();
      await ledger.until(
        () => ledger.startsOf('import/b') === 12 && ledger.runningOf('import/b') === 0,
        'every job of group b while group a sits at its cap',
      );
      expect(ledger.startsOf('import/a')).toBe(2);
      expect(ledger.runningOf('import/a')).toBe(2);
      expect(ledger.peakOf('import/b')).toBe(2);
    } finally {
      release();
      await monque.stop();
    }
  });

  it('more groups at their cap than one turn reads: the next turn reads on past them to the group that can run', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const ledger = new Ledger();
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const busy = ['a', 'b', 'c', 'd', 'e'];
    monque.worker(
      'import',
      async (job) => {
        const key = `import/${job.group}`;
        ledger.enter(key);
        // Groups a to e hold their one slot each until the test ends; each has a whole read's worth due.
        if (busy.includes(job.group as string)) await released;
        else await new Promise((resolve) => setTimeout(resolve, 5));
        ledger.leave(key);
      },
      { concurrency: 6, groupConcurrency: 1 },
    );
    await monque.enqueueMany(
      [...busy, 'f'].flatMap((group) =>
        Array.from({ length: group === 'f' ? 6 : 12 }, (_, n) => ({ name: 'import', data: { n }, options: { group } })),
      ),
    );
    try {
      await monque.start();
      await ledger.until(
        () => ledger.startsOf('import/f') === 6 && ledger.runningOf('import/f') === 0,
        'every job of group f while groups a to e sit at their cap',
      );
      for (const group of busy) expect(ledger.startsOf(`import/${group}`)).toBe(1);
    } finally {
      release();
      await monque.stop();
    }
  });

  it('jobs without a group are not limited by groupConcurrency', async () => {
    const ledger = new Ledger();
    const gate = () => ledger.until(() => ledger.startsOf('mixed') >= 3, 'three jobs started');
    const { all } = await instances(1, 'mixed', { concurrency: 5, groupConcurrency: 1 }, ledger, gate);
    await all[0]?.enqueueMany(Array.from({ length: 3 }, (_, n) => ({ name: 'mixed', data: { n } })));
    await all[0]?.start();
    await ledger.until(() => ledger.startsOf('mixed') === 3 && ledger.runningOf('mixed') === 0, 'the three jobs');
    await all[0]?.stop();
    expect(ledger.peakOf('mixed')).toBe(3);
  });
});
