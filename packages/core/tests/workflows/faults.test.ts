/**
 * Workflows on the bad day, with wire-level faults and a killed process: a lost reply after a
 * dependency completed; telling its dependents dropped (the sweep releases them within one
 * stale-check interval); the instance that completed it killed before telling them (another
 * instance's sweep does); a lost reply of a failure for good and of its dead-letter insert
 * (exactly one dead letter).
 */
import {
  commandDocuments,
  freshCollectionName,
  getTestUri,
  startFaultProxy,
  type WireCommand,
  waitUntil,
} from '@monque/test-backend';
import { describe, expect, it } from 'vitest';
import { JobStatus, UnrecoverableError } from '../../src/index.js';
import { killChild, startChildScript, useChildProcesses } from '../helpers/child-processes.js';
import { openCommandLog } from '../helpers/command-log.js';
import { faultyMonque, isOutcome } from '../helpers/faulty.js';
import { createMonque, useTestDb, waitForStatus } from '../helpers/monque.js';
import { NO_SWEEP, rawJobs, stored } from './helpers.js';

const getDb = useTestDb(import.meta.url);
useChildProcesses();

function updates(command: WireCommand): Record<string, unknown>[] {
  return command.name === 'update' ? (commandDocuments(command, 'updates') as Record<string, unknown>[]) : [];
}

/** The first write that tells a completed job's dependents (`$addToSet` of `settledDependencies`). */
const isTell = (command: WireCommand): boolean =>
  updates(command).some(
    (update) => (update.u as { $addToSet?: Record<string, unknown> } | undefined)?.$addToSet?.settledDependencies,
  );

/** An outcome write that fails a job for good. */
const isFailure = (command: WireCommand): boolean =>
  isOutcome(command) &&
  updates(command).some((update) => (update.u as { $set?: { status?: unknown } }).$set?.status === 'failed');

/** The insert of a dead-letter job. */
const isDeadLetterInsert = (command: WireCommand): boolean =>
  command.name === 'insert' && commandDocuments(command, 'documents').some((doc) => 'deadLetterOf' in doc);

describe('telling dependents on the bad day', () => {
  it('a lost reply of the completion: the retried write is recognised, and the dependent released at once', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), NO_SWEEP);
    monque.worker('dependency', () => 'result');
    const dependency = await monque.enqueue('dependency', {});
    const dependent = await monque.enqueue('dependent', {}, { dependsOn: [dependency._id] });
    const lost = proxy.loseReply(isOutcome);
    await monque.start();
    await waitForStatus(db, monque, dependent._id, JobStatus.PENDING);
    await monque.stop();
    expect(lost.hits).toBe(1);
    expect(await stored(db, monque, dependency._id)).toMatchObject({ status: JobStatus.COMPLETED, result: 'result' });
    expect((await stored(db, monque, dependency._id))?.notifyDependents).toBeUndefined();
  });

  it('telling dropped: job:error, the marker stays, and the sweep releases the dependent within one interval', async () => {
    const db = await getDb();
    const staleCheckInterval = 400;
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), {
      staleCheckInterval,
      lockTimeout: 60_000,
    });
    const errors: Error[] = [];
    monque.on('job:error', ({ error }) => errors.push(error));
    monque.worker('dependency', () => {});
    const dependency = await monque.enqueue('dependency', {});
    const dependent = await monque.enqueue('dependent', {}, { dependsOn: [dependency._id] });
    const dropped = proxy.dropRequest(isTell);
    await monque.start();
    await dropped.firstHit;
    const droppedAt = Date.now();
    await waitForStatus(db, monque, dependent._id, JobStatus.PENDING);
    const took = Date.now() - droppedAt;
    await monque.stop();
    expect(errors.some((error) => /following up finished jobs/.test(error.message))).toBe(true);
    // The next sweep (at most one interval away) did it; generous margin for a loaded machine.
    expect(took).toBeLessThan(staleCheckInterval * 5);
    expect(await stored(db, monque, dependency._id)).not.toHaveProperty('notifyDependents');
  });

  it('the instance that completed a dependency is killed before telling: another instance’s sweep releases the dependent', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const proxy = await startFaultProxy(getTestUri());
    try {
      const log = await openCommandLog(db.databaseName);
      const staleCheckInterval = 2_000;
      const survivor = createMonque(log.db, { collectionName, staleCheckInterval, lockTimeout: 60_000 });
      const dependency = await survivor.enqueue('dependency', {});
      const dependent = await survivor.enqueue('dependent', {}, { dependsOn: [dependency._id] });
      await survivor.start();
      const dropped = proxy.dropRequest(isTell, { times: Number.POSITIVE_INFINITY });
      const victim = startChildScript('dependency-worker', [proxy.uri, db.databaseName, collectionName, 'dependency']);
      await dropped.firstHit;
      await killChild(victim);
      const left = await stored(db, survivor, dependency._id);
      expect(left).toMatchObject({ status: JobStatus.COMPLETED, notifyDependents: true });
      // Retention waits until its dependents are told: it has no expiry yet.
      expect(left).not.toHaveProperty('expireAt');
      expect((await stored(db, survivor, dependent._id))?.status).toBe(JobStatus.WAITING);
      const sweepsSince = log.commands.length;
      await waitForStatus(db, survivor, dependent._id, JobStatus.PENDING, 20_000);
      const sweeps = log.commands
        .slice(sweepsSince)
        .filter((event) => event.commandName === 'find' && 'notifyDependents' in (event.command.filter ?? {}));
      await survivor.stop();
      await log.close();
      // Released by the survivor's first sweep after the crash.
      expect(sweeps.length, JSON.stringify(sweeps.map((event) => event.command.filter))).toBeLessThanOrEqual(1);
      expect(await stored(db, survivor, dependency._id)).not.toHaveProperty('notifyDependents');
    } finally {
      await proxy.close();
    }
  });
});

describe('dead letters on the bad day', () => {
  it('a lost reply of the failure write: it is retried, and exactly one dead letter is written', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), NO_SWEEP);
    monque.worker('charge', () => {
      throw new UnrecoverableError('card declined');
    });
    const job = await monque.enqueue('charge', { order: 7 }, { deadLetter: 'charge-failed' });
    const lost = proxy.loseReply(isFailure);
    await monque.start();
    await waitUntil(
      async () => (await rawJobs(db, monque).countDocuments({ name: 'charge-failed' })) === 1,
      'the dead letter',
    );
    await waitUntil(async () => (await stored(db, monque, job._id))?.deadLetterDue === undefined, 'marker cleared');
    await monque.stop();
    expect(lost.hits).toBe(1);
    expect(await rawJobs(db, monque).countDocuments({ name: 'charge-failed' })).toBe(1);
  });

  it('a lost reply of the dead-letter insert: the sweep inserts it again, and there is still one', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), {
      staleCheckInterval: 300,
      lockTimeout: 60_000,
    });
    monque.worker('charge', () => {
      throw new UnrecoverableError('card declined');
    });
    const job = await monque.enqueue('charge', { order: 8 }, { deadLetter: 'charge-failed' });
    const lost = proxy.loseReply(isDeadLetterInsert);
    await monque.start();
    await lost.firstHit;
    await waitUntil(async () => (await stored(db, monque, job._id))?.deadLetterDue === undefined, 'marker cleared', {
      timeoutMs: 10_000,
    });
    await monque.stop();
    const letters = await rawJobs(db, monque).find({ name: 'charge-failed' }).toArray();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ data: { order: 8 }, deadLetterOf: { jobId: job._id, name: 'charge' } });
    expect(proxy.commands(isDeadLetterInsert).length).toBeGreaterThanOrEqual(2);
  });
});
