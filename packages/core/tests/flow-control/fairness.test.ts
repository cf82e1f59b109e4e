/**
 * Fair claiming across groups, black-box, counted in claim turns (the claim writes on the wire,
 * never time): a group with one due job beside a group with 200 (older) starts within 2 claim
 * turns, on the single-slot path and on the batch path, whichever group sorts first; `priority`
 * still orders the jobs within a group; and a name without groups keeps its one-command claim.
 */
import type { CommandStartedEvent } from 'mongodb';
import { describe, expect, it } from 'vitest';
import type { Monque, WorkerOptions } from '../../src/index.js';
import { openCommandLog } from '../helpers/command-log.js';
import { createMonque, deferred, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** A write that moved jobs to `processing` (a claim). */
function isClaimWrite(event: CommandStartedEvent): boolean {
  const set = (update: unknown) => (update as { $set?: { status?: string } } | undefined)?.$set?.status;
  if (event.commandName === 'findAndModify') return set(event.command.update) === 'processing';
  if (event.commandName !== 'update') return false;
  return (event.command.updates as { u: unknown }[]).some((statement) => set(statement.u) === 'processing');
}

/**
 * Runs `big` (200 jobs, older) and `small` (1 job) of one name (`undefined`: jobs without a group);
 * returns the claim turns before `small` started.
 */
async function turnsUntilSmall(
  big: string | undefined,
  small: string | undefined,
  options: WorkerOptions,
): Promise<number> {
  const db = await getDb();
  const log = await openCommandLog(db.databaseName);
  try {
    const monque: Monque = createMonque(log.db, { changeStreamWakeups: false });
    const started = deferred<number>();
    monque.worker(
      'import',
      async (job) => {
        if (job.group === small && (job.data as { lone?: boolean }).lone)
          started.resolve(log.commands.filter(isClaimWrite).length);
        await new Promise((resolve) => setTimeout(resolve, 2));
      },
      options,
    );
    const past = Date.now() - 60_000;
    await monque.enqueueMany(
      Array.from({ length: 200 }, (_, n) => ({
        name: 'import',
        data: { n },
        options: { ...(big === undefined ? {} : { group: big }), runAt: new Date(past + n) },
      })),
    );
    await monque.enqueue('import', { lone: true }, small === undefined ? {} : { group: small });
    log.clear();
    await monque.start();
    const turns = await started.promise;
    await monque.stop();
    await log.db.collection(monque.options.collectionName).deleteMany({});
    return turns;
  } finally {
    await log.close();
  }
}

describe('fair claiming across groups', () => {
  it.each([
    ['concurrency 1 (single-slot claims), the big group sorting first', 'big', 'small', { concurrency: 1 }],
    ['concurrency 1, the small group sorting first', 'z-big', 'a-small', { concurrency: 1 }],
    ['concurrency 5 (batch claims)', 'big', 'small', { concurrency: 5 }],
    ['concurrency 5 with groupConcurrency 2', 'big', 'small', { concurrency: 5, groupConcurrency: 2 }],
    ['concurrency 1 with globalConcurrency 1', 'big', 'small', { concurrency: 1, globalConcurrency: 1 }],
  ] as const)(
    'a group with 1 due job beside one with 200 starts within 2 claim turns: %s',
    async (_, big, small, options) => {
      expect(await turnsUntilSmall(big, small, options)).toBeLessThanOrEqual(2);
    },
  );

  // The jobs without a group are one more lane of the round: a grouped backlog ahead of them in
  // claim order must not hide them from the claim's reads.
  it.each([
    ['concurrency 1 (single-slot claims)', { concurrency: 1 }],
    ['concurrency 5 (batch claims)', { concurrency: 5 }],
    ['concurrency 5 with groupConcurrency 5', { concurrency: 5, groupConcurrency: 5 }],
    ['concurrency 4 with groupConcurrency 2', { concurrency: 4, groupConcurrency: 2 }],
  ] as const)(
    'a job without a group beside a group with 200 (older) starts within 2 claim turns: %s',
    async (_, options) => {
      expect(await turnsUntilSmall('big', undefined, options)).toBeLessThanOrEqual(2);
    },
  );

  // The mirror case: a name's older due jobs all lack a group, so its reads in claim order never
  // see the grouped job; a probe of the backlogged name finds it (turn 2, alongside the claim), and
  // the name's round starts with its groups from turn 3 (4 when the probe answers after turn 3 began).
  it.each([
    ['concurrency 1 (single-slot claims)', { concurrency: 1 }],
    ['concurrency 5 (batch claims)', { concurrency: 5 }],
    ['concurrency 1 with globalConcurrency 5', { concurrency: 1, globalConcurrency: 5 }],
    ['concurrency 5 with a rate limit', { concurrency: 5, rateLimit: { max: 10_000, duration: 60_000 } }],
  ] as const)(
    'a grouped job behind 200 (older) jobs without a group starts within 4 claim turns: %s',
    async (_, options) => {
      expect(await turnsUntilSmall(undefined, 'tenant-1', options)).toBeLessThanOrEqual(4);
    },
  );

  it('a grouped job enqueued behind a running backlog without a group starts long before the backlog ends', async () => {
    const db = await getDb();
    const monque = createMonque(db, { changeStreamWakeups: false });
    const order: string[] = [];
    const started = deferred();
    monque.worker(
      'import',
      async (job) => {
        order.push(job.group ?? 'u');
        if (job.group !== undefined) started.resolve();
        await new Promise((resolve) => setTimeout(resolve, 10));
      },
      { concurrency: 1 },
    );
    const past = Date.now() - 60_000;
    await monque.enqueueMany(
      Array.from({ length: 300 }, (_, n) => ({ name: 'import', data: { n }, options: { runAt: new Date(past + n) } })),
    );
    const ran = (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => (order.length >= count ? resolve() : setTimeout(check, 5));
        check();
      });
    await monque.start();
    // The name has been probed (its second turn) and found without groups before this job exists.
    await ran(5);
    await monque.enqueue('import', {}, { group: 'tenant-1' });
    await started.promise;
    await monque.stop();
    // The next probe (within a second: at most about 100 jobs of 10 ms) finds it; without the probe
    // it would wait for all 300.
    expect(order.indexOf('tenant-1')).toBeLessThan(150);
  });

  it('a backlog without groups is probed for groups at most once a second', async () => {
    const db = await getDb();
    const log = await openCommandLog(db.databaseName);
    try {
      const monque = createMonque(log.db, { changeStreamWakeups: false });
      const done = deferred();
      let runs = 0;
      monque.worker(
        'plain',
        async () => {
          runs += 1;
          if (runs === 400) done.resolve();
          await new Promise((resolve) => setTimeout(resolve, 2));
        },
        { concurrency: 5 },
      );
      await monque.enqueueMany(Array.from({ length: 400 }, (_, n) => ({ name: 'plain', data: { n } })));
      log.clear();
      const begun = Date.now();
      await monque.start();
      await done.promise;
      const elapsed = Date.now() - begun;
      await monque.stop();
      const probes = log.commands.filter(
        (event) =>
          event.commandName === 'find' &&
          JSON.stringify(event.command.filter ?? {}).includes('"group":{"$exists":true}'),
      );
      // 80 full claim turns: one probe at the second, then one per second of backlog.
      expect(probes.length).toBeGreaterThanOrEqual(1);
      expect(probes.length).toBeLessThanOrEqual(Math.floor(elapsed / 1000) + 1);
    } finally {
      await log.close();
    }
  });

  it('priority still orders the jobs within a group', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const order: string[] = [];
    const done = deferred();
    monque.worker(
      'ranked',
      (job) => {
        order.push(`${job.group}:${(job.data as { label: string }).label}`);
        if (order.length === 6) done.resolve();
      },
      { concurrency: 1 },
    );
    const at = Date.now() - 10_000;
    await monque.enqueueMany([
      { name: 'ranked', data: { label: 'low-old' }, options: { group: 'g', runAt: new Date(at) } },
      { name: 'ranked', data: { label: 'high' }, options: { group: 'g', priority: 5, runAt: new Date(at + 5) } },
      { name: 'ranked', data: { label: 'low-new' }, options: { group: 'g', runAt: new Date(at + 9) } },
      { name: 'ranked', data: { label: 'high' }, options: { group: 'h', priority: 9, runAt: new Date(at + 1) } },
      { name: 'ranked', data: { label: 'low-old' }, options: { group: 'h', runAt: new Date(at + 2) } },
      { name: 'ranked', data: { label: 'low-new' }, options: { group: 'h', runAt: new Date(at + 3) } },
    ]);
    await monque.start();
    await done.promise;
    await monque.stop();
    const within = (group: string) => order.filter((entry) => entry.startsWith(`${group}:`));
    expect(within('g')).toEqual(['g:high', 'g:low-old', 'g:low-new']);
    expect(within('h')).toEqual(['h:high', 'h:low-old', 'h:low-new']);
    // The groups took turns.
    expect(order.slice(0, 4).filter((entry) => entry.startsWith('g:'))).toHaveLength(2);
  });
});
