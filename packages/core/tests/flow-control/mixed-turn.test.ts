/**
 * A claim turn that claims a flow-controlled name and a plain name together: each part forgets its
 * claim's token once its jobs are known, so when the other part fails, the jobs it claimed must
 * still be handed on and run (before, they stayed `processing`, never run, never given back, their
 * slots held, until stale recovery).
 */
import { commandDocuments, freshCollectionName, waitUntil } from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../src/index.js';
import { faultyMonque, isClaim } from '../helpers/faulty.js';
import { jobsOf, useTestDb } from '../helpers/monque.js';

const getDb = useTestDb(import.meta.url);

describe('a claim turn with a limited and a plain name', () => {
  it('runs the limited job at once when the plain claim of the same turn times out', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), {
      lockTimeout: 60_000,
      operationTimeout: 500,
    });
    const ran: string[] = [];
    monque.worker('plain', (job) => void ran.push(`plain ${String(job._id)}`), { concurrency: 2 });
    monque.worker('capped', (job) => void ran.push(`capped ${String(job._id)}`), {
      concurrency: 2,
      globalConcurrency: 1,
    });
    await monque.enqueueMany([
      { name: 'plain', data: {} },
      { name: 'plain', data: {} },
    ]);
    const capped = await monque.enqueue('capped', {});
    // The plain claim's reply comes too late (it times out), after the limited claim of the same
    // turn took its job (the limited claim's statements carry a limitSlot).
    const dropped = proxy.delayReplies(
      (command) => isClaim(command) && !JSON.stringify(command.body).includes('limitSlot'),
      1_500,
      { times: 1 },
    );
    await monque.start();
    await dropped.firstHit;
    try {
      await waitUntil(
        async () => (await jobsOf(db, monque).findOne({ _id: capped._id }))?.status === JobStatus.COMPLETED,
        'the capped job to complete although the plain claim of its turn was dropped',
        { timeoutMs: 8_000 },
      );
    } finally {
      const doc = await jobsOf(db, monque).findOne({ _id: capped._id });
      await monque.stop();
      expect(doc).toMatchObject({ status: JobStatus.COMPLETED, failCount: 0 });
    }
  });

  it('runs the job of one limited name when the claim of another limited name of the same turn times out', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), {
      lockTimeout: 60_000,
      operationTimeout: 500,
    });
    for (const name of ['capped-a', 'capped-b']) {
      monque.worker(name, () => {}, { concurrency: 2, globalConcurrency: 1 });
    }
    const first = await monque.enqueue('capped-a', {});
    const second = await monque.enqueue('capped-b', {});
    // The claim of capped-b answers too late (it times out), after capped-a's claim took its job.
    const late = proxy.delayReplies(
      (command) =>
        isClaim(command) && JSON.stringify(commandDocuments(command, 'updates')).includes(second._id.toHexString()),
      1_500,
      { times: 1 },
    );
    await monque.start();
    await late.firstHit;
    try {
      await waitUntil(
        async () => (await jobsOf(db, monque).findOne({ _id: first._id }))?.status === JobStatus.COMPLETED,
        "capped-a's job to complete although capped-b's claim of its turn timed out",
        { timeoutMs: 8_000 },
      );
    } finally {
      const doc = await jobsOf(db, monque).findOne({ _id: first._id });
      await monque.stop();
      expect(doc).toMatchObject({ status: JobStatus.COMPLETED, failCount: 0 });
    }
  });
});
