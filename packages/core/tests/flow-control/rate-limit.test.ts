/**
 * `rateLimit`, black-box on a clock the test moves: at most `max` starts in any window of
 * `duration`, on all instances together, as the handlers' ledger sees it, and the window is used
 * (each window's starts happen once the clock allows them); per group with `perGroup`; a held
 * window is not read again before it can have room (no busy poll); a claim answered after its
 * jobs' start deadline gives them back unstarted. Waiting is counted in claim-loop passes on the
 * wire (reads of due jobs), never in wall time.
 */
import { freshCollectionName, type WireCommand, waitUntil } from '@monque/test-backend';
import type { CommandStartedEvent } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { JobStatus, type Monque, type WorkerOptions } from '../../src/index.js';
import { type CommandLog, openCommandLog } from '../helpers/command-log.js';
import { faultyMonque, isClaim, isOutcome } from '../helpers/faulty.js';
import { createMonque, jobsOf, useTestDb } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';
import { Ledger } from './ledger.js';

const getDb = useTestDb(import.meta.url);
const T0 = new Date('2030-01-01T00:00:00Z');

/** The look-up of a claim's jobs by its token. */
const isTokenLookup = (command: WireCommand) =>
  command.name === 'find' && (command.body.filter as { claimToken?: unknown } | undefined)?.claimToken !== undefined;

const isDueRead = (event: CommandStartedEvent) =>
  event.commandName === 'find' && (event.command.filter as { status?: unknown } | undefined)?.status === 'pending';

/** Reads of due jobs of `log` the server has answered. */
function answeredReads(log: CommandLog): number {
  return log.commands.filter((event) => isDueRead(event) && log.answered.has(event.requestId)).length;
}

/** Resolves once every log has seen `count` more answered reads of due jobs (claim-loop passes). */
async function passes(logs: readonly CommandLog[], count = 3): Promise<void> {
  const from = logs.map(answeredReads);
  await waitUntil(
    () => logs.every((log, index) => answeredReads(log) >= (from[index] as number) + count),
    `${count} claim-loop passes of every instance`,
  );
}

interface Fleet {
  readonly all: Monque[];
  readonly logs: CommandLog[];
  readonly clock: TestClock;
  readonly ledger: Ledger;
}

/** `count` instances on one collection and one test clock, each with its own monitored client. */
async function fleet(
  count: number,
  options: WorkerOptions,
  keyOf = (group?: string) => group ?? 'all',
): Promise<Fleet> {
  const db = await getDb();
  const collectionName = freshCollectionName(db);
  const clock = new TestClock(T0);
  const ledger = new Ledger(() => clock.now().getTime());
  const all: Monque[] = [];
  const logs: CommandLog[] = [];
  for (let i = 0; i < count; i += 1) {
    const log = await openCommandLog(db.databaseName);
    logs.push(log);
    const monque = createMonque(log.db, { collectionName, clock, changeStreamWakeups: false });
    monque.worker('api', (job) => ledger.enter(keyOf(job.group)), options);
    all.push(monque);
  }
  return { all, logs, clock, ledger };
}

async function close(fleet: Fleet): Promise<void> {
  await Promise.all(fleet.all.map((monque) => monque.stop()));
  for (const log of fleet.logs) await log.close();
}

describe('rateLimit', () => {
  it('3 instances, max 3 per 1000 ms: each window starts exactly 3, never more, also while the clock stands still', async () => {
    const run = await fleet(3, { concurrency: 5, rateLimit: { max: 3, duration: 1_000 } });
    try {
      const { all, clock, ledger, logs } = run;
      await all[0]?.enqueueMany(Array.from({ length: 12 }, (_, n) => ({ name: 'api', data: { n } })));
      await Promise.all(all.map((monque) => monque.start()));
      for (let window = 1; window <= 4; window += 1) {
        await ledger.until(() => ledger.startsOf('all') === 3 * window, `${3 * window} starts`);
        // The clock stands still: however often the instances look, nothing more starts.
        await passes(logs);
        expect(ledger.startsOf('all')).toBe(3 * window);
        // A window and a little: the starts counted 1 s ago stop counting.
        clock.advance(1_300);
      }
      expect(ledger.worstWindow(1_000)).toBe(3);
    } finally {
      await close(run);
    }
  });

  it('perGroup: each group has its own window; the jobs without a group share one more', async () => {
    const run = await fleet(2, { concurrency: 10, rateLimit: { max: 2, duration: 1_000, perGroup: true } });
    try {
      const { all, clock, ledger, logs } = run;
      await all[0]?.enqueueMany(
        ['a', 'b', undefined].flatMap((group) =>
          Array.from({ length: 4 }, (_, n) => ({ name: 'api', data: { n }, options: group ? { group } : {} })),
        ),
      );
      await Promise.all(all.map((monque) => monque.start()));
      await ledger.until(() => ['a', 'b', 'all'].every((key) => ledger.startsOf(key) === 2), 'two starts per group');
      await passes(logs);
      expect(['a', 'b', 'all'].map((key) => ledger.startsOf(key))).toEqual([2, 2, 2]);
      clock.advance(1_300);
      await ledger.until(() => ['a', 'b', 'all'].every((key) => ledger.startsOf(key) === 4), 'the next two per group');
      for (const key of ['a', 'b', 'all']) expect(ledger.worstWindow(1_000, key)).toBe(2);
    } finally {
      await close(run);
    }
  });

  it('no busy poll: a full window is read once, then not again before it can have room', async () => {
    const run = await fleet(1, { concurrency: 5, rateLimit: { max: 1, duration: 60_000 } });
    try {
      const { all, ledger, logs } = run;
      const log = logs[0] as CommandLog;
      await all[0]?.enqueueMany(Array.from({ length: 3 }, (_, n) => ({ name: 'api', data: { n } })));
      await all[0]?.start();
      await ledger.until(() => ledger.startsOf('all') === 1, 'the first start');
      await passes(logs, 2);
      const rateReads = () =>
        log.commands.filter((event) => event.commandName === 'find' && String(event.command.find).endsWith('_limits'))
          .length;
      const before = rateReads();
      await passes(logs, 10);
      expect(rateReads() - before).toBe(0);
      expect(ledger.startsOf('all')).toBe(1);
    } finally {
      await close(run);
    }
  });

  it('start deadline: a claim answered after its jobs had to start gives them back unstarted and uncharged', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { clock, changeStreamWakeups: false });
    const ledger = new Ledger(() => clock.now().getTime());
    monque.worker('api', () => ledger.enter('all'), { rateLimit: { max: 5, duration: 60_000 } });
    const job = await monque.enqueue('api', {});
    const slow = proxy.delayReplies(isClaim, 300, { times: 1 });
    // The first write that moves the job out of `processing` (seen before its reply: the job can be
    // claimed again only after it is answered, so nothing has started meanwhile unless it had before).
    const givenBack = proxy.delayReplies(isOutcome, 1, { times: 1 });
    try {
      await monque.start();
      await slow.firstHit;
      // While the claim's reply is on its way, more than the start allowance passes.
      clock.advance(10_000);
      await givenBack.firstHit;
      expect(ledger.startsOf('all')).toBe(0);
      // Claimed again in time, it runs, charged one attempt (the give-back charged none).
      await ledger.until(() => ledger.startsOf('all') === 1, 'the job to run');
      await waitUntil(
        async () => (await jobsOf(db, monque).findOne({ _id: job._id }))?.status === JobStatus.COMPLETED,
        'the job to complete',
      );
      expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({ attempts: 1, failCount: 0 });
    } finally {
      await monque.stop();
    }
  });
});

describe('rateLimit with a lost claim reply', () => {
  it('found only after its jobs had to start: they are given back unstarted and uncharged, then run in time', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { clock, changeStreamWakeups: false });
    const ledger = new Ledger(() => clock.now().getTime());
    monque.worker('api', () => ledger.enter('all'), { concurrency: 2, rateLimit: { max: 2, duration: 60_000 } });
    const jobs = await monque.enqueueMany(Array.from({ length: 2 }, (_, n) => ({ name: 'api', data: { n } })));
    const lost = proxy.loseReply(isClaim);
    await monque.start();
    await lost.firstHit;
    // Before the next turn looks the claim up by its token, the start deadline passes.
    clock.advance(10_000);
    // The first write that moves jobs out of `processing` (no job has run yet): the give-back.
    await waitUntil(() => proxy.commands(isOutcome).length > 0, 'the jobs of the lost claim to be given back');
    expect(await jobsOf(db, monque).countDocuments({ status: JobStatus.PENDING, attempts: 0 })).toBe(2);
    expect(ledger.startsOf('all')).toBe(0);
    // A minute later the window has room again: they run, each charged once.
    clock.advance(60_000);
    await ledger.until(() => ledger.startsOf('all') === 2, 'both jobs to run');
    await waitUntil(
      async () => (await jobsOf(db, monque).countDocuments({ status: JobStatus.COMPLETED })) === 2,
      'both',
    );
    await monque.stop();
    for (const job of jobs) expect((await jobsOf(db, monque).findOne({ _id: job._id }))?.attempts).toBe(1);
  });

  it('found by a look-up answered after its jobs had to start (the turn began in time): given back unstarted', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { clock, changeStreamWakeups: false });
    const ledger = new Ledger(() => clock.now().getTime());
    monque.worker('api', () => ledger.enter('all'), { concurrency: 2, rateLimit: { max: 2, duration: 60_000 } });
    await monque.enqueueMany(Array.from({ length: 2 }, (_, n) => ({ name: 'api', data: { n } })));
    const lost = proxy.loseReply(isClaim);
    // The next turn's look-up by the claim's token: its reply is held back while the clock moves.
    const slowLookup = proxy.delayReplies(isTokenLookup, 300);
    try {
      await monque.start();
      await lost.firstHit;
      await slowLookup.firstHit;
      clock.advance(10_000);
      // The first write that moves jobs out of `processing`: the give-back (or, were they started, an outcome).
      await waitUntil(() => proxy.commands(isOutcome).length > 0, 'the jobs of the lost claim to be given back');
      expect(ledger.startsOf('all')).toBe(0);
      expect(await jobsOf(db, monque).countDocuments({ status: JobStatus.PENDING, attempts: 0 })).toBe(2);
    } finally {
      await monque.stop();
    }
  });

  it('the jobs are found by their token and run once; the window counts them once', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const collectionName = freshCollectionName(db);
    const { monque, proxy } = await faultyMonque(db, collectionName, { clock, changeStreamWakeups: false });
    const ledger = new Ledger(() => clock.now().getTime());
    monque.worker('api', () => ledger.enter('all'), { concurrency: 5, rateLimit: { max: 3, duration: 60_000 } });
    await monque.enqueueMany(Array.from({ length: 5 }, (_, n) => ({ name: 'api', data: { n } })));
    const lost = proxy.loseReply(isClaim);
    await monque.start();
    await lost.firstHit;
    await ledger.until(() => ledger.startsOf('all') === 3, 'the three jobs of the lost claim');
    await waitUntil(
      async () => (await jobsOf(db, monque).countDocuments({ status: JobStatus.COMPLETED })) === 3,
      'three completions',
    );
    await monque.stop();
    expect(ledger.startsOf('all')).toBe(3);
    const jobs = await jobsOf(db, monque).find({}).toArray();
    expect(jobs.filter((job) => job.status === JobStatus.COMPLETED).every((job) => job.attempts === 1)).toBe(true);
    expect(jobs.filter((job) => job.status === JobStatus.PENDING)).toHaveLength(2);
    const [record] = await db.collection(`${collectionName}_limits`).find({ kind: 'rate' }).toArray();
    expect(Object.values(record?.starts as Record<string, number>).reduce((sum, n) => sum + n, 0)).toBe(3);
    await db.collection(`${collectionName}_limits`).deleteMany({});
  });
});
