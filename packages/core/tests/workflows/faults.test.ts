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

/** A command seen on the wire or by command monitoring. */
interface Seen {
  readonly name: string;
  readonly body: Record<string, unknown>;
}

/** The sweep's read of finished jobs whose dependents were not told. */
const isSweepRead = (command: Seen): boolean =>
  command.name === 'find' && 'notifyDependents' in ((command.body.filter as object | undefined) ?? {});

/** The write that makes waiting dependents pending. */
const isRelease = (command: Seen): boolean =>
  command.name === 'update' &&
  ((command.body.updates as { u?: { $set?: { status?: unknown } } }[] | undefined) ?? []).some(
    (update) => update.u?.$set?.status === 'pending',
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
    await waitForStatus(db, monque, dependent._id, JobStatus.PENDING);
    await monque.stop();
    expect(errors.some((error) => /following up finished jobs/.test(error.message))).toBe(true);
    // The first sweep after the drop released it: no other sweep read came in between.
    const seen = proxy.commands().map((command) => ({ body: command.body, name: command.name, fault: command.fault }));
    const drop = seen.findIndex((command) => command.fault === 'dropped');
    const release = seen.findIndex((command, index) => index > drop && isRelease(command));
    expect(seen.slice(drop, release).filter(isSweepRead)).toHaveLength(1);
    expect(await stored(db, monque, dependency._id)).not.toHaveProperty('notifyDependents');
  });

  it('the instance that completed a dependency is killed before telling: another instance’s first sweep releases the dependent', async () => {
    const db = await getDb();
    const collectionName = freshCollectionName(db);
    const proxy = await startFaultProxy(getTestUri());
    const log = await openCommandLog(db.databaseName);
    try {
      const survivor = createMonque(log.db, { collectionName, staleCheckInterval: 500, lockTimeout: 60_000 });
      const dependency = await survivor.enqueue('dependency', {});
      const dependent = await survivor.enqueue('dependent', {}, { dependsOn: [dependency._id] });
      const dropped = proxy.dropRequest(isTell, { times: Number.POSITIVE_INFINITY });
      const victim = startChildScript('dependency-worker', [proxy.uri, db.databaseName, collectionName, 'dependency']);
      await dropped.firstHit;
      await killChild(victim);
      const left = await stored(db, survivor, dependency._id);
      expect(left).toMatchObject({ status: JobStatus.COMPLETED, notifyDependents: true });
      // Retention waits until its dependents are told: it has no expiry yet.
      expect(left).not.toHaveProperty('expireAt');
      expect((await stored(db, survivor, dependent._id))?.status).toBe(JobStatus.WAITING);
      log.clear();
      await survivor.start();
      await waitForStatus(db, survivor, dependent._id, JobStatus.PENDING, 20_000);
      await survivor.stop();
      // Released by the survivor's first sweep (one interval after its start): no other sweep read before it.
      const seen = log.commands.map((event) => ({ body: event.command, name: event.commandName }));
      const release = seen.findIndex(isRelease);
      expect(release, JSON.stringify(seen.map((command) => command.name))).toBeGreaterThan(0);
      expect(seen.slice(0, release).filter(isSweepRead)).toHaveLength(1);
      expect(await stored(db, survivor, dependency._id)).not.toHaveProperty('notifyDependents');
    } finally {
      await log.close();
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

  it('a dead-letter insert that keeps failing: the failed job keeps its marker and no expiry, nothing is lost', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), NO_SWEEP);
    monque.worker('charge', () => {
      throw new UnrecoverableError('card declined');
    });
    const job = await monque.enqueue('charge', {}, { deadLetter: 'charge-failed' });
    const dropped = proxy.dropRequest(isDeadLetterInsert, { times: Number.POSITIVE_INFINITY });
    await monque.start();
    await dropped.firstHit;
    await waitForStatus(db, monque, job._id, JobStatus.FAILED);
    await monque.stop();
    const failed = await stored(db, monque, job._id);
    expect(failed).toMatchObject({ deadLetterDue: 'charge-failed' });
    expect(failed).not.toHaveProperty('expireAt');
    expect(await rawJobs(db, monque).countDocuments({ name: 'charge-failed' })).toBe(0);
  });
});
