/**
 * What the engine costs in commands, counted with command monitoring (never timed): an idle
 * instance spends at most 1.5 commands per poll however many workers it has (with flow-control
 * limits or without); concurrent enqueues
 * share writes while each caller still gets its own job or error; a quiet name is not starved by
 * another name's backlog.
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, type Job, JobStatus } from '../../src/index.js';
import { openCommandLog } from '../helpers/command-log.js';
import { createMonque, deferred, jobsOf, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

const WRITES = new Set(['insert', 'update', 'findAndModify', 'delete']);

describe('idle cost', () => {
  it.each([
    ['plain workers', {}],
    [
      'workers with flow-control limits (they share the idle read: limits cost nothing while idle)',
      {
        globalConcurrency: 3,
        groupConcurrency: 1,
        rateLimit: { max: 5, duration: 1_000 },
      },
    ],
  ] as const)('an idle instance with 20 %s spends at most 1.5 commands per poll', async (_, flow) => {
    const db = await getDb();
    const log = await openCommandLog(db.databaseName);
    try {
      const pollInterval = 100;
      const monque = createMonque(log.db, {
        collectionName: freshCollectionName(db),
        pollInterval,
        changeStreamWakeups: false,
      });
      for (let i = 0; i < 20; i += 1) monque.worker(`name-${i}`, () => {}, flow);
      await monque.start();
      await new Promise((resolve) => setTimeout(resolve, 3 * pollInterval));
      log.clear();
      const began = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 20 * pollInterval));
      const polls = (Date.now() - began) / pollInterval;
      const commands = log.commands.filter(
        (event) => event.commandName !== 'hello' && event.commandName !== 'ping',
      ).length;
      await monque.stop();
      expect(commands / polls).toBeLessThanOrEqual(1.5);
      expect(commands).toBeGreaterThan(0);
    } finally {
      await log.close();
    }
  });
});

describe('enqueue coalescing', () => {
  it('500 concurrent enqueues take at most 25 write commands; each caller gets its own job', async () => {
    const db = await getDb();
    const log = await openCommandLog(db.databaseName);
    try {
      const monque = createMonque(log.db, { collectionName: freshCollectionName(db) });
      await monque.enqueue('warm-up', {});
      log.clear();
      const jobs = await Promise.all(Array.from({ length: 500 }, (_, n) => monque.enqueue('burst', { n })));
      const writes = log.commands.filter((event) => WRITES.has(event.commandName)).length;
      expect(writes).toBeLessThanOrEqual(25);
      expect(new Set(jobs.map((job) => job._id.toHexString())).size).toBe(500);
      expect(jobs.map((job) => job.data)).toEqual(jobs.map((_, n) => ({ n })));
      expect(await jobsOf(db, monque).countDocuments({ name: 'burst' })).toBe(500);
      await jobsOf(db, monque).deleteMany({});
    } finally {
      await log.close();
    }
  });

  it('a lone enqueue is one insert; 10 concurrent calls with one key give one job', async () => {
    const db = await getDb();
    const log = await openCommandLog(db.databaseName);
    try {
      const monque = createMonque(log.db, { collectionName: freshCollectionName(db) });
      await monque.enqueue('warm-up', {});
      log.clear();
      await monque.enqueue('alone', {});
      expect(log.commandNames()).toEqual(['insert']);
      const keyed = await Promise.all(
        Array.from({ length: 10 }, (_, n) => monque.enqueue('keyed', { n }, { uniqueKey: 'same' })),
      );
      expect(new Set(keyed.map((job: Job) => job._id.toHexString())).size).toBe(1);
      expect(await jobsOf(db, monque).countDocuments({ name: 'keyed' })).toBe(1);
    } finally {
      await log.close();
    }
  });

  it('a bad call among concurrent ones fails alone; the others are written', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    await monque.enqueue('warm-up', {});
    const calls = [
      monque.enqueue('ok', { n: 1 }),
      monque.enqueue('bad', { v: 1n } as never),
      monque.enqueue('ok', { n: 2 }),
    ];
    const settled = await Promise.allSettled(calls);
    expect(settled.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(InvalidArgumentError);
    expect(await jobsOf(db, monque).countDocuments({ name: 'ok' })).toBe(2);
  });
});

describe('fairness', () => {
  it("a quiet name's job starts within 3 poll intervals beside a 400-job backlog of another name", async () => {
    const db = await getDb();
    const pollInterval = 200;
    const monque = createMonque(db, { pollInterval, changeStreamWakeups: false });
    const release = deferred();
    let quietStartedAt = 0;
    monque.worker('busy', () => release.promise, { concurrency: 5 });
    monque.worker('quiet', () => {
      quietStartedAt = Date.now();
    });
    await monque.enqueueMany(Array.from({ length: 400 }, (_, n) => ({ name: 'busy', data: { n } })));
    await monque.start();
    await waitUntil(
      async () => (await jobsOf(db, monque).countDocuments({ status: JobStatus.PROCESSING })) === 5,
      'the backlog to run',
    );
    // Another instance's enqueue: no local hint, found by polling only.
    const enqueuedAt = Date.now();
    await createMonque(db, { collectionName: monque.options.collectionName }).enqueue('quiet', {});
    await waitUntil(() => quietStartedAt > 0, 'the quiet job to start', { timeoutMs: 10 * pollInterval });
    expect(quietStartedAt - enqueuedAt).toBeLessThanOrEqual(3 * pollInterval);
    release.resolve();
    await monque.stop();
    await jobsOf(db, monque).deleteMany({});
  });
});
