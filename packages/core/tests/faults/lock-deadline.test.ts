/**
 * A run whose lock could not be renewed for `lockTimeout − heartbeatInterval` has its signal
 * aborted with `JobLockLostError` (see `engine/lock-deadline.ts`) but goes on: its ending is written
 * on its claim like any other. A failure of its own is charged (so a handler that blocks the event
 * loop and then fails still ends `failed`, and an `UnrecoverableError` fails it for good); a failure
 * caused by the abort counts as a stall; its `timeout` and a `cancelJob` still apply.
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobStatus, UnrecoverableError } from '../../src/index.js';
import { faultyMonque, isRenewal } from '../helpers/faulty.js';
import { createMonque, jobsOf, nextEvent, useTestDb, waitForStatus } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

const LOCK_TIMEOUT = 2_000;
const HEARTBEAT = 500;
const TIMING = { lockTimeout: LOCK_TIMEOUT, heartbeatInterval: HEARTBEAT, pollInterval: 50, shutdownTimeout: 300 };

/** Blocks the event loop for `ms` (a long synchronous parse, say): no renewal can be sent meanwhile. */
function blockFor(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // synchronous work
  }
}

describe('a handler that blocks the event loop past its lock deadline and then fails on its own', () => {
  it.each([
    ['an error of its own: each run is charged, and the job ends failed after maxRetries', false, 2],
    ['an UnrecoverableError: failed for good at once', true, 1],
  ] as const)(
    '%s',
    async (_, unrecoverable, expectedRuns) => {
      const db = await getDb();
      const monque = createMonque(db, { ...TIMING, baseRetryInterval: 10 });
      let runs = 0;
      monque.worker(
        'parse',
        async () => {
          runs += 1;
          blockFor(LOCK_TIMEOUT - HEARTBEAT + 200);
          // The lock deadline's check runs now, before the handler goes on.
          await new Promise((resolve) => setTimeout(resolve, 5));
          if (unrecoverable) throw new UnrecoverableError('input can never be parsed');
          throw new Error('bad input');
        },
        { maxRetries: 2, backoff: { type: 'fixed', delay: 10 } },
      );
      const job = await monque.enqueue('parse', {});
      await monque.start();
      const failed = await waitForStatus(db, monque, job._id, JobStatus.FAILED, 15_000);
      await monque.stop();
      expect(failed).toMatchObject({
        failCount: expectedRuns,
        failReason: unrecoverable ? 'input can never be parsed' : 'bad input',
      });
      expect(runs).toBe(expectedRuns);
    },
    30_000,
  );

  it('throwing the aborted signal each time: the first run is a stall, later ones are charged, and it ends failed', async () => {
    const db = await getDb();
    const monque = createMonque(db, { ...TIMING, baseRetryInterval: 10 });
    let runs = 0;
    monque.worker(
      'parse',
      async (_job, { signal }) => {
        runs += 1;
        blockFor(LOCK_TIMEOUT - HEARTBEAT + 200);
        await new Promise((resolve) => setTimeout(resolve, 5));
        signal.throwIfAborted();
      },
      { maxRetries: 2, backoff: { type: 'fixed', delay: 10 } },
    );
    const job = await monque.enqueue('parse', {});
    await monque.start();
    const failed = await waitForStatus(db, monque, job._id, JobStatus.FAILED, 15_000);
    await monque.stop();
    expect(failed).toMatchObject({ failCount: 2, stalls: 3 });
    expect(runs).toBe(3);
  }, 30_000);
});

/** Cuts `proxy` off just after a renewal got through, past the lock deadline but shorter than lockTimeout. */
async function cutPastTheDeadline(proxy: Awaited<ReturnType<typeof faultyMonque>>['proxy']): Promise<void> {
  const renewals = proxy.commands(isRenewal).length;
  await waitUntil(() => proxy.commands(isRenewal).length > renewals, 'a renewal', { intervalMs: 5 });
  proxy.partition({ mode: 'reset', forMs: LOCK_TIMEOUT - HEARTBEAT + 300 });
}

describe('a run aborted at its lock deadline whose handler ignores the signal', () => {
  it('still times out at its timeout: failed, not held (its lock renewed) for as long as the handler runs', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), TIMING);
    monque.worker('stuck', () => new Promise(() => {}), { timeout: 3_000, maxRetries: 0 });
    const job = await monque.enqueue('stuck', {});
    const aborted = nextEvent(monque, 'job:error');
    await monque.start();
    await cutPastTheDeadline(proxy);
    await aborted;
    const failed = await waitForStatus(db, monque, job._id, JobStatus.FAILED, 8_000);
    await monque.stop();
    expect(failed.failReason).toMatch(/took longer than its timeout/);
  }, 20_000);

  it('is cancelled at the next heartbeat after cancelJob, not when (if ever) the handler settles', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const { monque, proxy } = await faultyMonque(db, collectionName, TIMING);
    const operator = createMonque(db, { collectionName });
    monque.worker('stuck', () => new Promise(() => {}));
    const job = await monque.enqueue('stuck', {});
    const aborted = nextEvent(monque, 'job:error');
    await monque.start();
    await cutPastTheDeadline(proxy);
    await aborted;
    await waitUntil(() => proxy.partitioned === null, 'the partition to end', { timeoutMs: 5_000 });
    await operator.cancelJob(job._id);
    const cancelled = await waitForStatus(db, monque, job._id, JobStatus.CANCELLED, 4 * HEARTBEAT);
    await monque.stop();
    expect(cancelled.status).toBe(JobStatus.CANCELLED);
    expect(await jobsOf(db, monque).countDocuments({ _id: job._id, status: JobStatus.PROCESSING })).toBe(0);
  }, 20_000);
});
