/**
 * `stop()` while a claim turn is still waiting for the database (a slow read of due jobs, answered
 * within `operationTimeout` but after `shutdownTimeout`): once `stop()` has resolved, that turn
 * claims nothing, and `start()` called right after starts a loop that claims again.
 */
import { freshCollectionName } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/index.js';
import { faultyMonque, isClaim, isDueRead } from '../helpers/faulty.js';
import { createMonque, jobsOf, nextEvent, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

/** The read of due jobs answers this late: after `shutdownTimeout`, within `operationTimeout`. */
const SLOW_READ_MS = 2_000;

const options = { shutdownTimeout: 300, operationTimeout: 10_000, changeStreamWakeups: false } as const;

describe('stop() while a claim turn waits for a slow read', () => {
  it('resolves, and the turn claims nothing afterwards: the jobs stay pending', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    // No regular poll during the test: only the local enqueue below wakes the loop.
    const { monque, proxy } = await faultyMonque(db, collectionName, { ...options, pollInterval: 60_000 });
    monque.worker('work', () => {}, { concurrency: 5 });
    await monque.start();
    await createMonque(db, { collectionName }).enqueueMany([
      { name: 'work', data: { n: 1 } },
      { name: 'work', data: { n: 2 } },
    ]);
    const slow = proxy.delayReplies(isDueRead, SLOW_READ_MS);
    await monque.enqueue('work', { n: 3 });
    await slow.firstHit;
    await monque.stop();
    const stoppedAt = Date.now();
    // Long enough for the slow reply to arrive and the old turn to go on.
    await new Promise((resolve) => setTimeout(resolve, SLOW_READ_MS + 1_000));
    expect(proxy.commands(isClaim).filter((command) => command.at >= stoppedAt)).toEqual([]);
    expect(await jobsOf(db, monque).countDocuments({ status: JobStatus.PENDING })).toBe(3);
  }, 15_000);

  it('start() right after stop() claims again once the old turn is over, and runs each job once', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { ...options, pollInterval: 100 });
    const started: string[] = [];
    monque.worker(
      'work',
      (job) => {
        started.push(job._id.toHexString());
      },
      { concurrency: 5 },
    );
    await monque.start();
    const slow = proxy.delayReplies(isDueRead, SLOW_READ_MS);
    await slow.firstHit;
    await monque.stop();
    await monque.start();
    const completed = nextEvent(monque, 'job:complete', undefined, SLOW_READ_MS + 8_000);
    const job = await monque.enqueue('work', {});
    await completed;
    expect(started).toEqual([job._id.toHexString()]);
    expect(monque.isHealthy()).toBe(true);
    await monque.stop();
  }, 20_000);
});
