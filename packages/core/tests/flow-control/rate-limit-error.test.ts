/**
 * `RateLimitError(retryAfterMs)` from a handler, black-box with two instances on a clock the test
 * moves: the job goes back to `pending`, due after `retryAfterMs`, with no attempt charged and no
 * failure counted (`job:rate-limited` says so); its name starts nothing more until then on either
 * instance (with `perGroup`, only its group); then everything runs. Without `rateLimit` on the
 * worker, the hold travels with the pause state (every instance within one `pollInterval`).
 */
import { commandDocuments, freshCollectionName, type WireCommand, waitUntil } from '@monque/test-backend';
import type { CommandStartedEvent } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  type JobRateLimitedEvent,
  JobStatus,
  type Monque,
  MonqueError,
  MonqueErrorCode,
  RateLimitError,
  type WorkerOptions,
} from '../../src/index.js';
import { type CommandLog, openCommandLog } from '../helpers/command-log.js';
import { faultyMonque } from '../helpers/faulty.js';
import { createMonque, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';
import { TestClock } from '../helpers/test-clock.js';
import { Ledger } from './ledger.js';

const getDb = useTestDb(import.meta.url);
const T0 = new Date('2030-01-01T00:00:00Z');

const isDueRead = (event: CommandStartedEvent) =>
  event.commandName === 'find' && (event.command.filter as { status?: unknown } | undefined)?.status === 'pending';

const isPauseRead = (event: CommandStartedEvent) =>
  event.commandName === 'find' && String(event.command.find).endsWith('_control');

/** The commands of `log` that `is` accepts and the server has answered. */
function answered(log: CommandLog, is: (event: CommandStartedEvent) => boolean): number {
  return log.commands.filter((event) => is(event) && log.answered.has(event.requestId)).length;
}

/**
 * Resolves once every log has seen `count` more answered commands that `is` accepts (claim-loop
 * passes) than it had when `mark` was taken (now, when not given).
 */
async function passes(
  logs: readonly CommandLog[],
  count = 3,
  is = isDueRead,
  mark = logs.map((log) => answered(log, is)),
): Promise<void> {
  await waitUntil(
    () => logs.every((log, index) => answered(log, is) >= (mark[index] as number) + count),
    `${count} claim-loop passes of every instance`,
  );
}

/** Two instances; a job whose data says `limit: true` throws `RateLimitError(30_000)` the first time. */
async function pair(options: WorkerOptions) {
  const db = await getDb();
  const collectionName = freshCollectionName(db);
  const clock = new TestClock(T0);
  const ledger = new Ledger(() => clock.now().getTime());
  const all: Monque[] = [];
  const logs: CommandLog[] = [];
  const limitedOnce = new Set<string>();
  for (let i = 0; i < 2; i += 1) {
    const log = await openCommandLog(db.databaseName);
    logs.push(log);
    const monque = createMonque(log.db, { collectionName, clock, changeStreamWakeups: false, pollInterval: 50 });
    monque.worker(
      'api',
      (job) => {
        ledger.enter(job.group ?? 'all');
        const key = job._id.toHexString();
        if ((job.data as { limit?: boolean }).limit && !limitedOnce.has(key)) {
          limitedOnce.add(key);
          throw new RateLimitError(30_000);
        }
      },
      options,
    );
    all.push(monque);
  }
  const close = async () => {
    await Promise.all(all.map((monque) => monque.stop()));
    for (const log of logs) await log.close();
  };
  return { db, all, logs, clock, ledger, close };
}

describe('RateLimitError', () => {
  it.each([
    ['with rateLimit on the worker (the block is in the rate record)', { rateLimit: { max: 100, duration: 1_000 } }],
    ['without rateLimit (the hold travels with the pause state)', {}],
  ] as const)(
    '%s: no attempt charged, due after retryAfterMs, the name holds on both instances until then',
    async (_, flow) => {
      const run = await pair({ concurrency: 1, ...flow });
      try {
        const { db, all, logs, clock, ledger } = run;
        const [first, second] = all as [Monque, Monque];
        const limited = await first.enqueue('api', { limit: true });
        const limitedEvent = new Promise<JobRateLimitedEvent>((resolve) => {
          for (const monque of all) monque.on('job:rate-limited', resolve);
        });
        await first.start();
        await second.start();
        const event = await limitedEvent;
        expect(event.retryAfterMs).toBe(30_000);
        expect(event.until).toEqual(new Date(T0.getTime() + 30_000));
        expect(event.error).toBeInstanceOf(RateLimitError);
        expect(event.job).toMatchObject({ status: JobStatus.PENDING, attempts: 0, failCount: 0 });
        const jobs = jobsOf(db, first);
        await waitUntil(
          async () => (await jobs.findOne({ _id: limited._id }))?.status === JobStatus.PENDING,
          'the outcome',
        );
        expect(await jobs.findOne({ _id: limited._id })).toMatchObject({
          status: JobStatus.PENDING,
          attempts: 0,
          failCount: 0,
          nextRunAt: new Date(T0.getTime() + 30_000),
        });
        // More jobs of the name, due now: neither instance starts them before the 30 s are over. The
        // second instance's view of the pause state is a pollInterval old (of test time) by then, so
        // it reads it again before claiming. Its passes are what is counted: reads of due jobs with
        // a rate record, reads of the pause state (which then holds the name) without.
        const other = [logs[1] as CommandLog];
        const pass = 'rateLimit' in flow ? isDueRead : isPauseRead;
        // Marks taken before the clock moves: an instance may look again at once.
        const count = 'rateLimit' in flow ? 3 : 1;
        let mark = other.map((log) => answered(log, pass));
        clock.advance(100);
        await first.enqueueMany(Array.from({ length: 3 }, (_, n) => ({ name: 'api', data: { n } })));
        await passes(other, count, pass, mark);
        mark = other.map((log) => answered(log, pass));
        clock.advance(29_000);
        await passes(other, count, pass, mark);
        expect(ledger.startsOf('all')).toBe(1);
        clock.advance(1_000);
        await ledger.until(() => ledger.startsOf('all') === 5, 'every job to run after the hold');
      } finally {
        await run.close();
      }
    },
  );

  it('perGroup: only the group of the job holds; the other groups go on', async () => {
    const run = await pair({ concurrency: 2, rateLimit: { max: 100, duration: 1_000, perGroup: true } });
    try {
      const { all, logs, clock, ledger } = run;
      const [first, second] = all as [Monque, Monque];
      await first.enqueue('api', { limit: true }, { group: 'a' });
      const limited = nextEvent(first, 'job:rate-limited');
      await first.start();
      await limited;
      await second.start();
      await first.enqueueMany([
        ...Array.from({ length: 2 }, (_, n) => ({ name: 'api', data: { n }, options: { group: 'a' } })),
        ...Array.from({ length: 2 }, (_, n) => ({ name: 'api', data: { n }, options: { group: 'b' } })),
      ]);
      await ledger.until(() => ledger.startsOf('b') === 2, 'group b to run');
      await passes([logs[1] as CommandLog]);
      expect(ledger.startsOf('a')).toBe(1);
      clock.advance(30_000);
      await ledger.until(() => ledger.startsOf('a') === 4, 'group a after its hold');
    } finally {
      await run.close();
    }
  });

  it('perGroup: a held group with a backlog holds up no other group (the rotation reads past it)', async () => {
    const run = await pair({ concurrency: 2, rateLimit: { max: 100, duration: 1_000, perGroup: true } });
    try {
      const { all, ledger } = run;
      const [first] = all as [Monque, Monque];
      // Every job of group a is held by RateLimitError the first time; the clock stands still, so
      // group a stays held for the whole test. Group a's backlog fills a whole read of the groups.
      await first.enqueueMany([
        ...Array.from({ length: 30 }, (_, n) => ({ name: 'api', data: { n, limit: true }, options: { group: 'a' } })),
        ...Array.from({ length: 6 }, (_, n) => ({ name: 'api', data: { n }, options: { group: 'b' } })),
      ]);
      await first.start();
      await ledger.until(() => ledger.startsOf('b') === 6, 'every job of group b while group a is held');
      expect(ledger.startsOf('a')).toBeLessThanOrEqual(2);
    } finally {
      await run.close();
    }
  });

  it('is a MonqueError with code MONQUE_RATE_LIMITED; a bad retryAfterMs is refused naming it', () => {
    const error = new RateLimitError(5_000);
    expect(error).toBeInstanceOf(MonqueError);
    expect(error.code).toBe(MonqueErrorCode.RATE_LIMITED);
    expect(error.code).toBe('MONQUE_RATE_LIMITED');
    expect(error.retryAfterMs).toBe(5_000);
    expect(error.name).toBe('RateLimitError');
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '10' as never, 2 ** 31]) {
      expect(() => new RateLimitError(bad)).toThrow(InvalidArgumentError);
      expect(() => new RateLimitError(bad)).toThrow(/retryAfterMs/);
    }
    expect(new RateLimitError(0).retryAfterMs).toBe(0);
  });

  it('one thrown by another copy of @monque/core (same name and code) is recognised', async () => {
    const db = await getDb();
    const clock = new TestClock(T0);
    const monque = createMonque(db, { clock });
    const foreign = Object.assign(new Error('429'), {
      name: 'RateLimitError',
      code: 'MONQUE_RATE_LIMITED',
      retryAfterMs: 1_000,
    });
    let runs = 0;
    monque.worker('api', () => {
      runs += 1;
      if (runs === 1) throw foreign;
    });
    const job = await monque.enqueue('api', {});
    const limited = nextEvent(monque, 'job:rate-limited');
    await monque.start();
    await limited;
    await monque.stop();
    expect(await jobsOf(db, monque).findOne({ _id: job._id })).toMatchObject({
      status: JobStatus.PENDING,
      failCount: 0,
      attempts: 0,
      nextRunAt: new Date(T0.getTime() + 1_000),
    });
  });
});

describe('RateLimitError when the write of its hold is dropped', () => {
  it.each([
    ['with rateLimit on the worker (the block in the rate record)', { rateLimit: { max: 100, duration: 1_000 } }],
    ['without rateLimit (the hold in the pause state)', {}],
  ] as const)(
    '%s: the hold is written again, and the other instance starts nothing until it is over',
    async (_, flow) => {
      const db = await getDb();
      const collectionName = freshCollectionName(db);
      const clock = new TestClock(T0);
      const ledger = new Ledger(() => clock.now().getTime());
      const limitedOnce = new Set<string>();
      const handler = (job: { _id: { toHexString(): string }; data: unknown }) => {
        ledger.enter('all');
        const key = job._id.toHexString();
        if ((job.data as { limit?: boolean }).limit && !limitedOnce.has(key)) {
          limitedOnce.add(key);
          throw new RateLimitError(30_000);
        }
      };
      const options = { clock, changeStreamWakeups: false, pollInterval: 50 };
      const { monque: first, proxy } = await faultyMonque(db, collectionName, options);
      const log = await openCommandLog(db.databaseName);
      const second = createMonque(log.db, { collectionName, ...options });
      for (const monque of [first, second]) monque.worker('api', handler, { concurrency: 1, ...flow });
      // The write of the hold: the rate record's block, or the pause state's hold.
      const isHoldWrite = (command: WireCommand) => {
        if (command.name !== 'update') return false;
        const set = (commandDocuments(command, 'updates')[0]?.u as { $set?: Record<string, unknown> } | undefined)
          ?.$set;
        return set !== undefined && ('blockedUntil' in set || set.kind === 'hold');
      };
      const stored = async () =>
        (await db.collection(`${collectionName}_limits`).countDocuments({ blockedUntil: { $exists: true } })) +
          (await db.collection(`${collectionName}_control`).countDocuments({ kind: 'hold' })) >
        0;
      try {
        const dropped = proxy.dropRequest(isHoldWrite);
        await first.enqueue('api', { limit: true });
        const limited = nextEvent(first, 'job:rate-limited');
        await first.start();
        await limited;
        await dropped.firstHit;
        await waitUntil(stored, 'the hold to be written again after its first write was dropped');
        // More jobs of the name, due now: the other instance, started now, starts none before the 30 s are over.
        await first.enqueueMany(Array.from({ length: 3 }, (_, n) => ({ name: 'api', data: { n } })));
        const pass = 'rateLimit' in flow ? isDueRead : isPauseRead;
        const mark = [answered(log, pass)];
        await second.start();
        await passes([log], 'rateLimit' in flow ? 3 : 1, pass, mark);
        expect(ledger.startsOf('all')).toBe(1);
        clock.advance(30_000);
        await ledger.until(() => ledger.startsOf('all') === 5, 'every job to run after the hold');
      } finally {
        await Promise.all([first.stop(), second.stop()]);
        await log.close();
      }
    },
  );
});

describe('RateLimitError when every write of its hold is dropped', () => {
  it('the hold is not written again after stop() resolved', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const { monque, proxy } = await faultyMonque(db, collectionName, { changeStreamWakeups: false, pollInterval: 50 });
    monque.worker(
      'api',
      () => {
        throw new RateLimitError(60_000);
      },
      { rateLimit: { max: 100, duration: 1_000 } },
    );
    const isHoldWrite = (command: WireCommand) => {
      if (command.name !== 'update') return false;
      const set = (commandDocuments(command, 'updates')[0]?.u as { $set?: Record<string, unknown> } | undefined)?.$set;
      return set !== undefined && 'blockedUntil' in set;
    };
    const dropped = proxy.dropRequest(isHoldWrite, { times: Number.POSITIVE_INFINITY });
    await monque.enqueue('api', {});
    await monque.start();
    // The first write and one try again were dropped: it is being tried again, with growing delays.
    await waitUntil(() => dropped.hits >= 2, 'the hold to be tried again');
    await monque.stop();
    const atStop = dropped.hits;
    // The tries left would come within 3.5 s (50 ms doubling up to 1 s, 8 tries in all).
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(dropped.hits).toBe(atStop);
    dropped.cancel();
  });
});
