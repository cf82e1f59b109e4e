/**
 * Concurrency limits on the bad day, black-box with wire-level faults and a killed process: the
 * slots of a `globalConcurrency` live on the running jobs, so
 * - a claim whose reply is lost still holds its slots: its jobs are found by the claim's token and
 *   run, and no other instance gets those slots meanwhile;
 * - an instance cut off by a partition keeps its slots (its jobs are still its own) until its
 *   locks expire: the other instances start nothing in their place, then go on once it is back;
 * - the slots of an instance killed while running jobs (`globalConcurrency` and `groupConcurrency`)
 *   come back with its jobs, at the first stale-recovery pass after `lockTimeout`, never by waiting
 *   forever; until then the survivor starts none in their place (the database never holds more
 *   running jobs than the limit when a handler starts).
 * The limit is checked on the handlers' own ledger.
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import type { CommandStartedEvent } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { JobStatus, type Monque } from '../../src/index.js';
import { killChild, startChildScript, useChildProcesses } from '../helpers/child-processes.js';
import { type CommandLog, openCommandLog } from '../helpers/command-log.js';
import { faultyMonque, isClaim } from '../helpers/faulty.js';
import { createMonque, deferred, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';
import { Ledger } from './ledger.js';

const getDb = useTestDb(import.meta.url);
useChildProcesses();

const LIMITS = { concurrency: 2, globalConcurrency: 2 } as const;

const isDueRead = (event: CommandStartedEvent) =>
  event.commandName === 'find' && (event.command.filter as { status?: unknown } | undefined)?.status === 'pending';

/** A handler that records in `ledger` and waits for `release`. */
function holding(ledger: Ledger, release: Promise<void>) {
  return async () => {
    ledger.enter('api');
    await release;
    ledger.leave('api');
  };
}

describe('globalConcurrency on the bad day', () => {
  it('a lost claim reply: its jobs run (found by token), and their slots are never given to another instance', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const ledger = new Ledger();
    const release = deferred();
    const { monque: cutOff, proxy } = await faultyMonque(db, collectionName, { lockTimeout: 30 * 60_000 });
    const other = createMonque(db, { collectionName });
    for (const monque of [cutOff, other]) monque.worker('api', holding(ledger, release.promise), LIMITS);
    await cutOff.enqueueMany(Array.from({ length: 6 }, (_, n) => ({ name: 'api', data: { n } })));
    const lost = proxy.loseReply(isClaim);
    await cutOff.start();
    await lost.firstHit;
    await other.start();
    await ledger.until(() => ledger.runningOf('api') === 2, 'the two jobs of the lost claim to run');
    const jobs = jobsOf(db, cutOff);
    const held = await jobs.find({ status: JobStatus.PROCESSING }).toArray();
    expect(held.map((job) => job.owner)).toEqual([cutOff.instanceId, cutOff.instanceId]);
    release.resolve();
    await waitUntil(async () => (await jobs.countDocuments({ status: JobStatus.COMPLETED })) === 6, 'every job');
    await Promise.all([cutOff.stop(), other.stop()]);
    expect(ledger.peakOf('api')).toBe(2);
    expect(ledger.startsOf('api')).toBe(6);
    expect(await jobs.countDocuments({ attempts: 1 })).toBe(6);
  });

  it('a partition of the instance holding the slots: the other instance starts none in their place, then goes on after', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const ledger = new Ledger();
    const release = deferred();
    const { monque: cutOff, proxy } = await faultyMonque(db, collectionName, {
      lockTimeout: 60_000,
      changeStreamWakeups: false,
    });
    const log: CommandLog = await openCommandLog(db.databaseName);
    try {
      const other = createMonque(log.db, { collectionName, changeStreamWakeups: false });
      cutOff.worker('api', holding(ledger, release.promise), LIMITS);
      other.worker('api', holding(ledger, Promise.resolve()), LIMITS);
      await cutOff.enqueueMany(Array.from({ length: 5 }, (_, n) => ({ name: 'api', data: { n } })));
      await cutOff.start();
      await ledger.until(() => ledger.runningOf('api') === 2, 'the cut-off instance to hold both slots');
      proxy.partition({ mode: 'blackhole' });
      await other.start();
      const passes = () => log.commands.filter(isDueRead).length;
      await waitUntil(() => passes() >= 5, 'five claim-loop passes of the other instance');
      expect(ledger.startsOf('api')).toBe(2);
      release.resolve();
      proxy.heal();
      const jobs = jobsOf(db, cutOff);
      await waitUntil(async () => (await jobs.countDocuments({ status: JobStatus.COMPLETED })) === 5, 'every job');
      await Promise.all([cutOff.stop(), other.stop()]);
      expect(ledger.peakOf('api')).toBe(2);
      expect(ledger.startsOf('api')).toBe(5);
    } finally {
      await log.close();
    }
  });

  it.each([
    { limit: 'globalConcurrency 2', limits: LIMITS, group: undefined, slot: 'limitSlot' },
    {
      limit: 'groupConcurrency 2',
      limits: { concurrency: 2, groupConcurrency: 2 },
      group: 'tenant',
      slot: 'groupSlot',
    },
  ] as const)(
    "$limit: a killed instance's slots come back with its jobs at the first stale-recovery pass after lockTimeout",
    async ({ limits, group, slot }) => {
      const db = await getDb();
      const lockTimeout = 500;
      const survivor: Monque = createMonque(db, { lockTimeout, staleCheckInterval: 100, changeStreamWakeups: false });
      const collectionName = survivor.options.collectionName;
      const victim = startChildScript('long-job-worker', [
        db.databaseName,
        collectionName,
        'api',
        String(lockTimeout),
        JSON.stringify(limits),
      ]);
      await victim.waitFor('ready');
      const enqueued = await survivor.enqueueMany(
        Array.from({ length: 4 }, (_, n) => ({ name: 'api', data: { n }, options: group ? { group } : {} })),
      );
      const jobs = jobsOf(db, survivor);
      await waitUntil(
        async () => (await jobs.countDocuments({ status: JobStatus.PROCESSING })) === 2,
        'both slots held',
      );
      expect(await jobs.countDocuments({ [slot]: { $exists: true } })).toBe(2);
      await killChild(victim);

      const ledger = new Ledger();
      // What the database holds as running when each of the survivor's handlers starts: the dead
      // instance's jobs keep their slots until recovered, so never more than the limit.
      const runningAtStart: number[] = [];
      const run = holding(ledger, Promise.resolve());
      survivor.worker(
        'api',
        async () => {
          runningAtStart.push(await jobs.countDocuments({ status: JobStatus.PROCESSING }));
          await run();
        },
        limits,
      );
      const recovered: string[] = [];
      survivor.on('job:recovered', ({ job }) => recovered.push(job._id.toHexString()));
      const done = nextEvent(survivor, 'job:complete', () => ledger.startsOf('api') === 4, 15_000);
      await survivor.start();
      await done;
      await survivor.stop();
      expect(recovered).toHaveLength(2);
      expect(ledger.peakOf('api')).toBeLessThanOrEqual(2);
      expect(runningAtStart).toHaveLength(4);
      expect(Math.max(...runningAtStart)).toBeLessThanOrEqual(2);
      expect(new Set(enqueued.map((job) => job._id.toHexString()))).toEqual(
        new Set((await jobs.find({ status: JobStatus.COMPLETED }).toArray()).map((job) => job._id.toHexString())),
      );
    },
  );
});
