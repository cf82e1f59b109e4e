/**
 * start()/stop() as one state machine, listeners that fail, and what runs without change streams:
 * once stop() has resolved nothing runs and no timer is left, whatever start() was doing; a
 * listener that throws or rejects is reported once and never breaks the scheduler; a retry due
 * before the next poll wakes its own instance at its due time.
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobStatus, MonqueErrorCode } from '../../src/index.js';
import { faultyMonque } from '../helpers/faulty.js';
import { createMonque, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** Timers and sockets alive now, by kind (the process's own view). */
function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

describe('start() and stop()', () => {
  it('stop() during a slow start(): nothing starts after stop() resolved, and a later stop() resolves at once', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const { monque, proxy } = await faultyMonque(db, collectionName, { changeStreamWakeups: false });
    let runs = 0;
    monque.worker('never', () => {
      runs += 1;
    });
    await createMonque(db, { collectionName }).enqueue('never', {});
    const timersBefore = activeTimers();
    proxy.delayReplies({ name: 'createIndexes' }, 500);
    const starting = monque.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await monque.stop();
    await starting;
    expect(monque.isRunning).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(runs).toBe(0);
    expect(monque.isRunning).toBe(false);
    // A later stop() resolves at once: well within 1 s, where waiting for anything would take the
    // shutdownTimeout (5 s).
    const began = Date.now();
    await monque.stop();
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });

  it('leaves no timer behind after running jobs and stopping', async () => {
    const db = await getDb();
    const monque = createMonque(db, { lockTimeout: 1_000, retention: { sweepInterval: 100 } });
    const before = activeTimers();
    monque.worker('tick', () => {});
    await monque.start();
    await monque.enqueue('tick', {});
    await nextEvent(monque, 'job:complete');
    await monque.stop();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(activeTimers()).toBeLessThanOrEqual(before);
  });

  it('start() after stop() runs again, and stop() while stopping returns the same promise', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    monque.worker('again', () => {});
    await monque.start();
    const first = monque.stop();
    expect(monque.stop()).toBe(first);
    await first;
    await monque.start();
    await monque.enqueue('again', {});
    await nextEvent(monque, 'job:complete');
    await monque.stop();
  });
});

describe('listeners cannot hurt the scheduler', () => {
  it('an async listener that rejects is reported once as job:error; one on job:error that rejects becomes a warning', async () => {
    const db = await getDb();
    const monque = createMonque(db);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const reported: Error[] = [];
      monque.on('job:complete', async () => {
        throw new Error('listener broke');
      });
      monque.on('job:error', async ({ error }) => {
        reported.push(error);
        throw new Error('the error listener broke too');
      });
      monque.worker('fine', () => {});
      await monque.start();
      const job = await monque.enqueue('fine', {});
      await waitUntil(() => reported.length === 1 && warnings.length === 1, 'the report and the warning');
      await new Promise((resolve) => setTimeout(resolve, 100));
      await monque.stop();
      expect(reported).toHaveLength(1);
      expect(reported[0]).toMatchObject({ code: MonqueErrorCode.LISTENER });
      expect(reported[0]?.message).toContain('listener broke');
      expect(warnings[0]?.message).toContain('the error listener broke too');
      expect(unhandled).toEqual([]);
      expect((await jobsOf(db, monque).findOne({ _id: job._id }))?.status).toBe(JobStatus.COMPLETED);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      process.off('warning', onWarning);
    }
  });
});

describe('without change streams', () => {
  it('a retry due before the next poll wakes its own instance at its due time', async () => {
    const db = await getDb();
    const monque = createMonque(db, { pollInterval: 3_000, baseRetryInterval: 50, changeStreamWakeups: false });
    const startedAt: number[] = [];
    monque.worker('flaky', () => {
      startedAt.push(Date.now());
      if (startedAt.length === 1) throw new Error('first try fails');
    });
    await monque.start();
    await monque.enqueue('flaky', {});
    await nextEvent(monque, 'job:complete');
    await monque.stop();
    // Due 2^1 × 50 = 100 ms after the failure; the next regular poll would be 3 s later.
    expect((startedAt[1] ?? 0) - (startedAt[0] ?? 0)).toBeLessThan(1_500);
  });
});
