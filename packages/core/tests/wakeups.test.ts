/**
 * Wake-ups: an idle scheduler (long pollInterval) starts work without waiting for its next poll
 * when a job is enqueued locally (now or with a runAt), or — where the server has change streams —
 * by another instance; without change streams it says so once and keeps polling.
 */
import { getCapabilities } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import type { Job } from '../src/index.js';
import { createMonque, nextEvent, useTestDb } from './helpers/monque.js';

const getDb = useTestDb(import.meta.url);
const capabilities = await getCapabilities();

/** Far longer than any wake-up may take: a job starting this late came from a regular poll. */
const IDLE_POLL = 5_000;

describe('local enqueue wake-ups', () => {
  it('starts a job enqueued on an idle scheduler well before the next poll', async () => {
    const db = await getDb();
    const monque = createMonque(db, { pollInterval: IDLE_POLL, changeStreamWakeups: false });
    monque.worker('wake', () => {});
    await monque.start();
    // The first job brings the loop to rest: after it completes the poller sleeps a full interval.
    const first = nextEvent(monque, 'job:complete');
    await monque.enqueue('wake', { n: 1 });
    await first;

    const enqueuedAt = Date.now();
    const started = nextEvent(monque, 'job:start', (job) => (job.data as { n: number }).n === 2);
    await monque.enqueue('wake', { n: 2 });
    await started;
    expect(Date.now() - enqueuedAt).toBeLessThan(1_000);
    await monque.stop();
  });

  it('starts a delayed job at its runAt, not a pollInterval later', async () => {
    const db = await getDb();
    const monque = createMonque(db, { pollInterval: IDLE_POLL, changeStreamWakeups: false });
    monque.worker('delayed', () => {});
    await monque.start();
    const runAt = new Date(Date.now() + 300);
    const started = nextEvent(monque, 'job:start').then(() => Date.now());
    await monque.enqueue('delayed', {}, { runAt });
    const startedAt = await started;
    expect(startedAt).toBeGreaterThanOrEqual(runAt.getTime());
    expect(startedAt - runAt.getTime()).toBeLessThan(1_000);
    await monque.stop();
  });
});

describe('change-stream wake-ups', () => {
  it.skipIf(capabilities.changeStreams === true)(
    `without change streams: one 'wakeup:fallback', then polling with no job:error (${
      capabilities.changeStreams === true ? 'server has change streams' : capabilities.changeStreams
    })`,
    async () => {
      const db = await getDb();
      const monque = createMonque(db, { pollInterval: 50, changeStreamWakeups: true });
      const fallbacks: string[] = [];
      const errors: Error[] = [];
      monque.on('wakeup:fallback', ({ reason }) => fallbacks.push(reason));
      monque.on('job:error', ({ error }) => errors.push(error));
      const done: Job[] = [];
      monque.on('job:complete', ({ job }) => done.push(job));
      monque.worker('polled', () => {});
      const fellBack = nextEvent(monque, 'wakeup:fallback');
      await monque.start();
      await fellBack;

      // Another instance enqueues: no local hint reaches the scheduler, only its polls find the jobs.
      const producer = createMonque(db, { collectionName: monque.options.collectionName });
      for (let n = 0; n < 3; n += 1) {
        const completed = nextEvent(monque, 'job:complete', ({ job }) => (job.data as { n: number }).n === n);
        await producer.enqueue('polled', { n });
        await completed;
      }
      expect(done).toHaveLength(3);
      expect(fallbacks).toHaveLength(1);
      expect(fallbacks[0]).not.toBe('');
      expect(errors).toEqual([]);
      await monque.stop();
    },
  );

  it('with change streams: a job enqueued by another instance wakes an idle scheduler', async (context) => {
    if (capabilities.changeStreams !== true) {
      context.skip(`needs change streams: ${capabilities.changeStreams}`);
      return;
    }
    const db = await getDb();
    const monque = createMonque(db, { pollInterval: IDLE_POLL, changeStreamWakeups: true });
    monque.worker('watched', () => {});
    await monque.start();
    const producer = createMonque(db, { collectionName: monque.options.collectionName });
    const first = nextEvent(monque, 'job:complete');
    await producer.enqueue('watched', { n: 1 });
    await first;

    const enqueuedAt = Date.now();
    const started = nextEvent(monque, 'job:start', (job) => (job.data as { n: number }).n === 2);
    await producer.enqueue('watched', { n: 2 });
    await started;
    expect(Date.now() - enqueuedAt).toBeLessThan(1_000);
    await monque.stop();
  });
});
