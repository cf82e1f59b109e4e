/**
 * What stale recovery reports and how its timer behaves, on a test clock and the real stores: each
 * recovered job is one `job:recovered` (the job as it was, and whether it will run again) and one
 * warning in the log; a pass that fails is one `job:error`; nothing is written or reported when
 * nothing is stale; `start()` twice is one timer; `stop()` waits for a pass in flight and forgets
 * what was seen.
 */
import { waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/job.js';
import type { JobDocument } from '../../src/store/job-document.js';
import type { JobOutcome } from '../../src/store/outcome-store.js';
import { useTestDb } from '../helpers/monque.js';
import { heldJob, plus, stored } from '../store/stores.js';
import { LOCK_TIMEOUT, recoveryOf, settings, setup, T0 } from './stale-harness.js';

const getDb = useTestDb(import.meta.url);
const LONG_AGO = plus(T0, -60_000);

describe('stale recovery: what it reports', () => {
  it('each recovered job: one job:recovered with the job as it was and willRetry (job:cancelled for a cancellation), one warning naming it', async () => {
    const { stores, clock } = await setup(await getDb());
    const retried = await heldJob(stores, LONG_AGO, 'dead', 'claim-1', { name: 'retried' });
    const last = await heldJob(stores, LONG_AGO, 'dead', 'claim-2', { name: 'last', failCount: settings.maxRetries });
    const cancelled = await heldJob(stores, LONG_AGO, 'dead', 'claim-3', { name: 'cancelled', cancelRequestedAt: T0 });
    const { recovery, reports, warnings, cancelled: cancellations } = recoveryOf(stores, clock);
    expect(await recovery.recoverOnce()).toBe(3);
    const byName = new Map(reports.map((report) => [report.job.name, report]));
    expect(byName.get('retried')).toMatchObject({
      willRetry: true,
      job: { _id: retried._id, status: JobStatus.PROCESSING },
    });
    expect(byName.get('last')).toMatchObject({ willRetry: false, job: { _id: last._id } });
    expect(byName.has('cancelled')).toBe(false);
    expect(cancellations).toHaveLength(1);
    expect(cancellations[0]).toMatchObject({ _id: cancelled._id, status: JobStatus.CANCELLED });
    expect((await stored(stores, cancelled._id)).status).toBe(JobStatus.CANCELLED);
    expect((await stored(stores, last._id)).status).toBe(JobStatus.FAILED);
    expect(warnings).toHaveLength(3);
    expect(warnings).toContainEqual({
      message: 'recovered a stale job',
      context: { jobId: retried._id.toHexString(), name: 'retried', owner: 'dead', willRetry: true },
    });
    expect(warnings).toContainEqual({
      message: 'recovered a stale job',
      context: { jobId: cancelled._id.toHexString(), name: 'cancelled', owner: 'dead', willRetry: false },
    });
  });

  it('nothing stale: no write is sent, nothing is reported, nobody is woken', async () => {
    const { stores, clock } = await setup(await getDb());
    await heldJob(stores, T0, 'alive', 'claim-1');
    let applied = 0;
    const { recovery, reports, warnings, wakes } = recoveryOf(stores, clock, {
      deps: {
        apply: (outcomes: JobOutcome[]) => {
          applied += 1;
          return stores.outcomes.apply(outcomes);
        },
      },
    });
    expect(await recovery.recoverOnce()).toBe(0);
    expect([applied, reports.length, warnings.length, wakes()]).toEqual([0, 0, 0, 0]);
  });

  it('a periodic pass that fails is reported as job:error, a thrown non-Error as an Error saying what it was', async () => {
    const { stores, clock } = await setup(await getDb());
    const thrown: unknown[] = [new Error('read failed'), 'plain string'];
    const { recovery, events } = recoveryOf(stores, clock, {
      deps: {
        interval: 5,
        findProcessing: async (): Promise<JobDocument[]> => {
          throw thrown.shift() ?? new Error('again');
        },
      },
    });
    const errors: Error[] = [];
    events.on('job:error', ({ error }) => errors.push(error));
    recovery.start();
    await waitUntil(() => errors.length >= 2, 'two failed passes');
    await recovery.stop();
    expect(errors[0]).toBeInstanceOf(Error);
    expect(errors[0]?.message).toBe('read failed');
    expect(errors[1]).toBeInstanceOf(Error);
    expect(errors[1]?.message).toBe('plain string');
  });
});

describe('stale recovery: its timer', () => {
  it('start() twice runs one timer: after stop() no pass runs again', async () => {
    const { stores, clock } = await setup(await getDb());
    let passes = 0;
    const { recovery } = recoveryOf(stores, clock, {
      deps: {
        interval: 5,
        findProcessing: async () => {
          passes += 1;
          return [];
        },
      },
    });
    recovery.start();
    recovery.start();
    await waitUntil(() => passes >= 2, 'two passes');
    await recovery.stop();
    const atStop = passes;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(passes).toBe(atStop);
  });

  it('stop() resolves only after the pass in flight', async () => {
    const { stores, clock } = await setup(await getDb());
    let release: () => void = () => {};
    let started = false;
    let finished = false;
    const { recovery } = recoveryOf(stores, clock, {
      deps: {
        interval: 5,
        findProcessing: async () => {
          started = true;
          await new Promise<void>((resolve) => {
            release = resolve;
          });
          finished = true;
          return [];
        },
      },
    });
    recovery.start();
    await waitUntil(() => started, 'a pass to start');
    let stopped = false;
    const stopping = recovery.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(true);
  });

  it('stop() forgets the locks seen: after a restart, a lock is watched afresh for lockTimeout', async () => {
    const { stores, clock } = await setup(await getDb());
    const job = await heldJob(stores, T0, 'slow', 'claim-1');
    const { recovery } = recoveryOf(stores, clock);
    expect(await recovery.recoverOnce()).toBe(0);
    await recovery.stop();
    clock.advance(LOCK_TIMEOUT);
    expect(await recovery.recoverOnce()).toBe(0);
    expect((await stored(stores, job._id)).status).toBe(JobStatus.PROCESSING);
    clock.advance(LOCK_TIMEOUT);
    expect(await recovery.recoverOnce()).toBe(1);
  });
});
