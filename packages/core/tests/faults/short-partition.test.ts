/**
 * An owner cut off for less than `lockTimeout`, but long after its last renewal: another instance
 * may judge the lock stale before the owner is back. The owner does not wait to learn it: once its
 * last renewal that got through is `lockTimeout − heartbeatInterval` old, its handler's signal
 * aborts with `JobLockLostError`, before any other instance can start the job.
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobLockLostError } from '../../src/index.js';
import { faultyMonque, isRenewal } from '../helpers/faulty.js';
import { createMonque, nextEvent, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

const LOCK_TIMEOUT = 2_000;
const HEARTBEAT = 500;

describe('a partition shorter than lockTimeout, starting just before a renewal', () => {
  it("aborts the owner's handler before another instance starts the job", async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const shared = { collectionName, lockTimeout: LOCK_TIMEOUT, heartbeatInterval: HEARTBEAT, shutdownTimeout: 300 };
    const { monque: owner, proxy } = await faultyMonque(db, collectionName, { ...shared, instanceId: 'owner' });
    const other = createMonque(db, { ...shared, instanceId: 'other', staleCheckInterval: 50, pollInterval: 50 });
    const order: string[] = [];
    let reason: unknown;
    owner.worker('long', async (_job, { signal }) => {
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      reason = signal.reason;
      order.push('owner aborted');
      throw signal.reason;
    });
    other.worker('long', () => {
      order.push('other started');
    });
    await owner.enqueue('long', {});
    const started = nextEvent(owner, 'job:start');
    await owner.start();
    await started;
    await other.start();
    // Cut the owner off just before a renewal is due: its last one is then almost a heartbeat old.
    const renewals = proxy.commands(isRenewal).length;
    await waitUntil(() => proxy.commands(isRenewal).length > renewals, 'a renewal', { intervalMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT - 100));
    proxy.partition({ mode: 'blackhole', forMs: LOCK_TIMEOUT - 100 });
    await waitUntil(() => order.includes('other started'), 'the other instance to run the job', {
      timeoutMs: 10_000,
    });
    expect(order).toEqual(['owner aborted', 'other started']);
    expect(reason).toBeInstanceOf(JobLockLostError);
    await Promise.all([owner.stop(), other.stop()]);
  }, 20_000);
});
