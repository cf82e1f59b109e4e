/**
 * `job.errors`, the attempt history: every failed attempt's message, stack, time, instance and
 * duration, oldest first, the last 20, each stack cut to 16 KiB; written in the same fenced outcome
 * write as the failure (no extra command), set and never pushed, so a write retried after a lost
 * reply does not add the attempt twice. `failReason` stays the last message.
 */
import { freshCollectionName, waitUntil } from '@monque/test-backend';
import type { CommandStartedEvent, Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  capUtf8,
  errorsAfterFailure,
  MAX_ATTEMPT_ERRORS,
  MAX_ATTEMPT_TEXT_BYTES,
} from '../src/engine/attempt-history.js';
import { type Job, type JobErrorRecord, JobStatus } from '../src/index.js';
import { openCommandLog } from './helpers/command-log.js';
import { faultyMonque, isOutcome } from './helpers/faulty.js';
import { processingJob } from './helpers/job-fixture.js';
import { createMonque, jobsOf, nextEvent, useTestDb, waitForStatus } from './helpers/monque.js';
import { TestClock } from './helpers/test-clock.js';

const getDb = useTestDb(import.meta.url);

class CrmUnavailable extends Error {
  override name = 'CrmUnavailable';
}

function oldErrors(count: number): JobErrorRecord[] {
  return Array.from({ length: count }, (_, index) => ({
    attempt: index + 1,
    at: new Date(Date.UTC(2025, 0, 1, 0, index)),
    message: `old failure ${index + 1}`,
    instanceId: 'earlier-instance',
    durationMs: 10,
  }));
}

describe('a failing job', () => {
  it('keeps each failed attempt: message, stack, time, instance, duration and attempt number', async () => {
    const db = await getDb();
    const clock = new TestClock('2025-06-10T12:00:00Z');
    const monque = createMonque(db, { clock, maxRetries: 3, baseRetryInterval: 0 });
    let runs = 0;
    monque.worker('sync-crm', () => {
      runs += 1;
      clock.advance(250 * runs);
      throw new CrmUnavailable(`CRM answered 503 (run ${runs})`);
    });
    const job = await monque.enqueue('sync-crm', { batch: 3 });
    const lastFail = nextEvent(monque, 'job:fail', ({ willRetry }) => !willRetry);
    await monque.start();
    const event = await lastFail;
    await monque.stop();

    const stored = (await jobsOf(db, monque).findOne({ _id: job._id })) as Job;
    expect(stored.status).toBe(JobStatus.FAILED);
    expect(stored.failReason).toBe('CRM answered 503 (run 3)');
    const errors = stored.errors ?? [];
    expect(
      errors.map(({ attempt, message, instanceId, durationMs }) => ({ attempt, message, instanceId, durationMs })),
    ).toEqual([
      { attempt: 1, message: 'CRM answered 503 (run 1)', instanceId: monque.instanceId, durationMs: 250 },
      { attempt: 2, message: 'CRM answered 503 (run 2)', instanceId: monque.instanceId, durationMs: 500 },
      { attempt: 3, message: 'CRM answered 503 (run 3)', instanceId: monque.instanceId, durationMs: 750 },
    ]);
    for (const [index, entry] of errors.entries()) {
      expect(entry.stack).toMatch(new RegExp(`^CrmUnavailable: CRM answered 503 \\(run ${index + 1}\\)\\n\\s+at `));
    }
    // Each entry's time is its failure's: the last one is the failure that ended the job.
    expect(errors.at(-1)?.at).toEqual(stored.updatedAt);
    expect(errors.at(-1)?.at).toEqual(stored.finishedAt);
    expect(errors[0]?.at.getTime()).toBeLessThan(errors[1]?.at.getTime() as number);
    // The event's job shows the history as stored.
    expect(event.job.errors).toEqual(errors);
  });

  it('keeps the history across an operator retry and the runs after it', async () => {
    const db = await getDb();
    const monque = createMonque(db, { maxRetries: 1 });
    let fail = true;
    monque.worker('flaky', () => {
      if (fail) throw new Error('first run broke');
      return 'ok';
    });
    const job = await monque.enqueue('flaky', {});
    await monque.start();
    await waitForStatus(db, monque, job._id, JobStatus.FAILED);
    fail = false;
    await monque.retryJob(job._id);
    const done = await waitForStatus(db, monque, job._id, JobStatus.COMPLETED);
    await monque.stop();
    expect(done.failCount).toBe(0);
    expect(done.errors?.map((entry) => [entry.attempt, entry.message])).toEqual([[1, 'first run broke']]);
  });

  it(`keeps only the last ${MAX_ATTEMPT_ERRORS} attempts, oldest dropped first`, async () => {
    const db = await getDb();
    const monque = createMonque(db, { maxRetries: 100, baseRetryInterval: 60_000 });
    monque.worker('often-failing', () => {
      throw new Error('failure 21');
    });
    const { insertedId } = await jobsOf(db, monque).insertOne({
      ...processingJob('often-failing', new Date()),
      status: JobStatus.PENDING,
      lockedAt: null,
      failCount: 20,
      attempts: 20,
      errors: oldErrors(20),
    } as Job);
    const failed = nextEvent(monque, 'job:fail');
    await monque.start();
    await failed;
    await monque.stop();
    const errors = ((await jobsOf(db, monque).findOne({ _id: insertedId })) as Job).errors ?? [];
    expect(errors).toHaveLength(MAX_ATTEMPT_ERRORS);
    expect(errors[0]?.message).toBe('old failure 2');
    expect(errors.at(-1)).toMatchObject({ attempt: 21, message: 'failure 21' });
  });

  it(`cuts each stack (and message) to ${MAX_ATTEMPT_TEXT_BYTES} bytes of UTF-8; failReason keeps the message`, async () => {
    const db = await getDb();
    const monque = createMonque(db, { maxRetries: 1 });
    const message = `response body: ${'é'.repeat(20_000)}`;
    monque.worker('huge-error', () => {
      const error = new Error(message);
      error.stack = `Error: ${message}\n${'    at somewhere (file.js:1:1)\n'.repeat(2_000)}`;
      throw error;
    });
    const job = await monque.enqueue('huge-error', {});
    await monque.start();
    const stored = await waitForStatus(db, monque, job._id, JobStatus.FAILED);
    await monque.stop();
    expect(stored.failReason).toBe(message);
    const [entry] = stored.errors ?? [];
    expect(Buffer.byteLength(entry?.stack ?? '')).toBeLessThanOrEqual(MAX_ATTEMPT_TEXT_BYTES);
    expect(Buffer.byteLength(entry?.stack ?? '')).toBeGreaterThan(MAX_ATTEMPT_TEXT_BYTES - 40);
    expect(entry?.stack).toMatch(/^Error: response body: é+… \(\d+ more bytes\)$/);
    expect(Buffer.byteLength(entry?.message ?? '')).toBeLessThanOrEqual(MAX_ATTEMPT_TEXT_BYTES);
    expect(entry?.message.startsWith('response body: éé')).toBe(true);
  });

  it('records a stale recovery as a failed attempt of the instance that ran it, without a stack', async () => {
    const db = await getDb();
    // Every recovery charged (a stall's entry is checked in faults/stalls.test.ts).
    const monque = createMonque(db, { lockTimeout: 60_000, maxStalls: 0 });
    monque.worker('crashy', () => {});
    const started = new Date(Date.now() - 10 * 60_000);
    const { insertedId } = await jobsOf(db, monque).insertOne({
      ...processingJob('crashy', started),
      owner: 'killed-instance',
      claimToken: 'token-of-the-killed-run',
      startedAt: started,
      attempts: 1,
    } as Job);
    const recovered = nextEvent(monque, 'job:recovered');
    await monque.start();
    await recovered;
    await monque.stop();
    const stored = (await jobsOf(db, monque).findOne({ _id: insertedId })) as Job;
    expect(stored.errors).toHaveLength(1);
    const [entry] = stored.errors ?? [];
    expect(entry).toMatchObject({
      attempt: 1,
      instanceId: 'killed-instance',
      message: expect.stringMatching(/^lock expired/),
    });
    expect(entry).not.toHaveProperty('stack');
    // From the run's start to its recovery: ten minutes, and the moments it took to recover it.
    expect(entry?.durationMs).toBeGreaterThanOrEqual(10 * 60_000);
    expect(entry?.durationMs).toBeLessThan(11 * 60_000);
    expect(stored.failReason).toBe(entry?.message);
  });
});

describe('the outcome write', () => {
  it('sets the whole history in the same update as the failure: no extra command, no $push', async () => {
    const db = await getDb();
    const log = await openCommandLog(db.databaseName);
    try {
      const monque = createMonque(log.db, { collectionName: freshCollectionName(db), maxRetries: 5 });
      monque.worker('fails-once', () => {
        throw new Error('nope');
      });
      const job = await monque.enqueue('fails-once', {});
      const failed = nextEvent(monque, 'job:fail');
      await monque.start();
      await failed;
      await monque.stop();
      const touching = log.commands.filter((command) => JSON.stringify(command.command).includes('"errors"'));
      expect(touching).toHaveLength(1);
      const [statement] = (touching[0] as CommandStartedEvent).command.updates as Document[];
      expect(Object.keys(statement?.u ?? {})).not.toContain('$push');
      expect(statement?.u.$set).toMatchObject({
        status: JobStatus.PENDING,
        failCount: 1,
        failReason: 'nope',
        errors: [expect.objectContaining({ attempt: 1, message: 'nope' })],
      });
      expect(statement?.q).toMatchObject({ _id: job._id, status: JobStatus.PROCESSING });
    } finally {
      await log.close();
    }
  });

  it('retried after a lost reply, adds the attempt once', async () => {
    const db = await getDb();
    const { monque, proxy } = await faultyMonque(db, freshCollectionName(db), { maxRetries: 1 });
    const errors: Error[] = [];
    monque.on('job:error', ({ error }) => errors.push(error));
    monque.worker('lost-failure', () => {
      throw new Error('broken once');
    });
    const job = await monque.enqueue('lost-failure', {});
    const lost = proxy.loseReply(isOutcome, { times: 1 });
    const failed = nextEvent(monque, 'job:fail');
    await monque.start();
    await failed;
    await monque.stop();
    expect(lost.hits).toBe(1);
    expect(errors.filter((error) => error.name === 'JobLockLostError')).toEqual([]);
    const stored = (await jobsOf(db, monque).findOne({ _id: job._id })) as Job;
    expect(stored.status).toBe(JobStatus.FAILED);
    expect(stored.errors?.map((entry) => entry.message)).toEqual(['broken once']);
  });
});

describe('errorsAfterFailure and capUtf8', () => {
  const at = new Date('2025-06-10T12:00:00Z');
  const job = (errors?: JobErrorRecord[]): Job => ({
    ...processingJob('x', new Date('2025-06-10T11:59:58Z')),
    startedAt: new Date('2025-06-10T11:59:58Z'),
    owner: 'instance-a',
    attempts: 4,
    ...(errors ? { errors } : {}),
  });

  it('appends to the claimed job’s list, dropping the oldest beyond the limit', () => {
    expect(errorsAfterFailure(job(), 'boom', at)).toEqual([
      { attempt: 4, at, message: 'boom', instanceId: 'instance-a', durationMs: 2000 },
    ]);
    const full = errorsAfterFailure(job(oldErrors(MAX_ATTEMPT_ERRORS)), 'boom', at, { stack: 's', durationMs: 12.4 });
    expect(full).toHaveLength(MAX_ATTEMPT_ERRORS);
    expect(full[0]?.message).toBe('old failure 2');
    expect(full.at(-1)).toEqual({
      attempt: 4,
      at,
      message: 'boom',
      stack: 's',
      instanceId: 'instance-a',
      durationMs: 12,
    });
    const short = errorsAfterFailure(job(oldErrors(MAX_ATTEMPT_ERRORS - 1)), 'boom', at);
    expect(short).toHaveLength(MAX_ATTEMPT_ERRORS);
    expect(short[0]?.message).toBe('old failure 1');
  });

  it('never reports a negative duration (a recovery on a clock behind the owner’s)', () => {
    expect(errorsAfterFailure(job(), 'boom', new Date('2025-06-10T11:00:00Z'))[0]?.durationMs).toBe(0);
  });

  it('cuts at a character boundary, saying how much was left out', () => {
    expect(capUtf8('short')).toBe('short');
    const exact = 'a'.repeat(MAX_ATTEMPT_TEXT_BYTES);
    expect(capUtf8(exact)).toBe(exact);
    const over = `${'a'.repeat(MAX_ATTEMPT_TEXT_BYTES)}b`;
    const cut = capUtf8(over);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_ATTEMPT_TEXT_BYTES);
    expect(cut).toMatch(/^a+… \(\d+ more bytes\)$/);
    const left = Number(/\((\d+) more bytes\)$/.exec(cut)?.[1]);
    expect(Buffer.byteLength(cut.replace(/… \(\d+ more bytes\)$/, '')) + left).toBe(MAX_ATTEMPT_TEXT_BYTES + 1);
    const emoji = capUtf8('😀'.repeat(40), 63);
    expect(emoji).toBe(`${'😀'.repeat(10)}… (120 more bytes)`);
    expect(Buffer.byteLength(emoji)).toBeLessThanOrEqual(63);
  });
});

describe('reading it back', () => {
  it('the history survives being read back through getJob', async () => {
    const db = await getDb();
    const monque = createMonque(db, { maxRetries: 1 });
    monque.worker('read-back', () => {
      throw new Error('for getJob');
    });
    const job = await monque.enqueue('read-back', {});
    await monque.start();
    await waitUntil(async () => (await monque.getJob(job._id))?.status === JobStatus.FAILED, 'the job to fail');
    await monque.stop();
    expect((await monque.getJob(job._id))?.errors?.[0]).toMatchObject({ attempt: 1, message: 'for getJob' });
  });
});
