/**
 * Several OS processes sharing one collection: every job runs exactly once (SC-006), a job held by
 * a killed process is recovered and finished by another, and apps booting at once register one
 * recurring job.
 */
import { freshCollectionName } from '@monque/test-backend';
import type { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { type EnqueueManyItem, JobStatus } from '../src/index.js';
import { killChild, startChildScript, useChildProcesses } from './helpers/child-processes.js';
import { createMonque, nextEvent, useTestDb, waitForStatus } from './helpers/monque.js';

const getDb = useTestDb(import.meta.url);
useChildProcesses();

describe('several processes', () => {
  it('SC-006: 1000 jobs, 3 scheduler processes: every job runs exactly once, none is lost', async () => {
    const db = await getDb();
    // 4 collections of 250 jobs: the embedded backend's write cost grows with collection size.
    const collections = Array.from({ length: 4 }, () => freshCollectionName(db, 'sc006'));
    const children = Array.from({ length: 3 }, () =>
      startChildScript('drain-worker', [db.databaseName, collections.join(','), 'sc006']),
    );
    await Promise.all(children.map((child) => child.waitFor('ready')));

    const enqueued: string[] = [];
    for (const collectionName of collections) {
      const producer = createMonque(db, { collectionName });
      const items: EnqueueManyItem<{ n: number }>[] = Array.from({ length: 250 }, (_, n) => ({
        name: 'sc006',
        data: { n },
      }));
      const jobs = await producer.enqueueMany(items);
      enqueued.push(...jobs.map((job) => job._id.toHexString()));
    }
    expect(new Set(enqueued).size).toBe(1000);

    const completed = async (): Promise<number> => {
      let total = 0;
      for (const name of collections) {
        total += await db.collection(name).countDocuments({ status: JobStatus.COMPLETED });
      }
      return total;
    };
    const deadline = Date.now() + 45_000;
    while ((await completed()) < 1000) {
      if (Date.now() > deadline) throw new Error(`only ${await completed()} of 1000 jobs completed in 45 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    for (const child of children) child.send({ type: 'stop' });
    const reports = await Promise.all(children.map((child) => child.waitFor('ran')));
    const exits = await Promise.all(children.map((child) => child.exited));
    expect(exits.map((exit) => exit.code)).toEqual([0, 0, 0]);

    const runs = reports.flatMap((report) => report.ids);
    const counts = new Map<string, number>();
    for (const id of runs) counts.set(id, (counts.get(id) ?? 0) + 1);
    const twice = [...counts].filter(([, count]) => count > 1);
    expect(twice, 'jobs run more than once').toEqual([]);
    expect(runs.length).toBe(1000);
    expect(new Set(runs)).toEqual(new Set(enqueued));
    // The processes really competed for the work (each one ran some of it).
    expect(reports.filter((report) => report.ids.length > 0).length).toBeGreaterThan(1);
    for (const name of collections) {
      expect(await db.collection(name).countDocuments({ status: { $ne: JobStatus.COMPLETED } })).toBe(0);
    }
  });

  it('a job held by a process killed with SIGKILL is recovered and completed by another instance', async () => {
    const db = await getDb();
    const lockTimeout = 500;
    const survivor = createMonque(db, { lockTimeout, staleCheckInterval: 100, changeStreamWakeups: false });
    const collectionName = survivor.options.collectionName;
    const victim = startChildScript('long-job-worker', [db.databaseName, collectionName, 'long', String(lockTimeout)]);
    const { instanceIds } = await victim.waitFor('ready');
    const job = await survivor.enqueue('long', { report: 'q3' });
    const started = await victim.waitFor('started');
    expect(started.jobId).toBe(job._id.toHexString());
    const held = await waitForStatus(db, survivor, job._id, JobStatus.PROCESSING);
    expect(held.owner).toBe(instanceIds[0]);

    await killChild(victim);
    expect((await victim.exited).signal).toBe('SIGKILL');

    const runs: ObjectId[] = [];
    survivor.worker('long', (running) => {
      runs.push(running._id);
    });
    const recovered = nextEvent(survivor, 'job:recovered', ({ job: stale }) => stale._id.equals(job._id));
    const completed = nextEvent(survivor, 'job:complete', ({ job: done }) => done._id.equals(job._id));
    await survivor.start();
    const { job: stale, willRetry } = await recovered;
    expect(stale.owner).toBe(instanceIds[0]);
    expect(willRetry).toBe(true);
    await completed;
    await survivor.stop();

    expect(runs).toHaveLength(1);
    const final = await waitForStatus(db, survivor, job._id, JobStatus.COMPLETED);
    // The first recovery is a stall: no failure charged, the attempt history says why.
    expect(final.failCount).toBe(0);
    expect(final.stalls).toBe(1);
    expect(final.errors?.[0]?.message).toMatch(/^stalled \(no failure charged, stall 1 of 1 allowed\): lock expired/);
    expect(await db.collection(collectionName).countDocuments({})).toBe(1);
  });

  it('apps booting at once in 3 processes register one recurring job', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db, 'boot');
    const children = Array.from({ length: 3 }, () =>
      startChildScript('schedule-at-boot', [db.databaseName, collectionName, 'nightly-report', '5']),
    );
    await Promise.all(children.map((child) => child.waitFor('ready')));
    for (const child of children) child.send({ type: 'go' });
    const reports = await Promise.all(children.map((child) => child.waitFor('scheduled')));
    const exits = await Promise.all(children.map((child) => child.exited));
    const stored = await db.collection(collectionName).find({ name: 'nightly-report' }).toArray();
    const diagnostics = JSON.stringify({ reports, stored, output: children.map((child) => child.output()) }, null, 1);
    expect(
      exits.map((exit) => exit.code),
      diagnostics,
    ).toEqual([0, 0, 0]);

    const ids = new Set(reports.flatMap((report) => report.jobIds));
    expect(ids.size, diagnostics).toBe(1);
    expect(stored, diagnostics).toHaveLength(1);
    expect(stored[0]?._id.toHexString()).toBe([...ids][0]);
    expect(stored[0]?.repeatInterval).toBe('0 3 * * *');
    expect(stored[0]?.status).toBe(JobStatus.PENDING);
  });
});
