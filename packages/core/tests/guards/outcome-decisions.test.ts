/**
 * The outcome decisions' details that events and stored jobs show, checked exactly (pure functions,
 * no database): the job as the events show it after a transition, the error made from whatever a
 * handler threw, retention per final status, the default retry policy and the cron boundary.
 */
import { describe, expect, it } from 'vitest';
import {
  type DecisionSettings,
  expiryOf,
  jobAfter,
  nextOccurrence,
  policyFor,
  toError,
} from '../../src/engine/outcome.js';
import { type Job, JobStatus } from '../../src/index.js';
import { processingJob } from '../helpers/job-fixture.js';

const T0 = new Date('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

/** A job that already failed once, completed an earlier run and has a result, owned by an instance. */
function seasoned(): Job {
  return {
    ...processingJob('task', T0),
    owner: 'instance-a',
    failCount: 1,
    failReason: 'earlier failure',
    completedAt: at(-5_000),
    finishedAt: at(-4_000),
    result: { earlier: true },
  };
}

describe('jobAfter: the job as events show it after a transition', () => {
  it('keeps what the transition does not change (fail count, reason, completion and finish times, result)', () => {
    const job = seasoned();
    const next = jobAfter(job, { status: JobStatus.PENDING, at: at(1) });
    expect(next).toMatchObject({
      status: JobStatus.PENDING,
      updatedAt: at(1),
      lockedAt: null,
      failCount: 1,
      failReason: 'earlier failure',
      completedAt: at(-5_000),
      finishedAt: at(-4_000),
      result: { earlier: true },
      nextRunAt: T0,
    });
    expect(next).not.toHaveProperty('owner');
  });

  it('takes what the transition sets', () => {
    const next = jobAfter(seasoned(), {
      status: JobStatus.FAILED,
      at: at(1),
      nextRunAt: at(2),
      failCount: 3,
      failReason: 'now failed',
      completedAt: at(3),
      finishedAt: at(4),
      result: { value: { fresh: true } },
    });
    expect(next).toMatchObject({
      status: JobStatus.FAILED,
      nextRunAt: at(2),
      failCount: 3,
      failReason: 'now failed',
      completedAt: at(3),
      finishedAt: at(4),
      result: { fresh: true },
    });
  });

  it('removes a fail reason and a result the transition clears (null)', () => {
    const next = jobAfter(seasoned(), { status: JobStatus.PENDING, at: at(1), failReason: null, result: null });
    expect(next).not.toHaveProperty('failReason');
    expect(next).not.toHaveProperty('result');
  });
});

describe('toError: what a handler threw, as an Error', () => {
  it('an object with a message: that message exactly, the object as cause', () => {
    const thrown = { message: 'from an object', code: 7 };
    const error = toError(thrown);
    expect(error.message).toBe('from an object');
    expect(error.cause).toBe(thrown);
  });

  it('an object with an empty or non-string message: its JSON, the object as cause', () => {
    for (const thrown of [{ message: '' }, { message: 5 }]) {
      const error = toError(thrown);
      expect(error.message).toBe(`the handler threw a non-Error value: ${JSON.stringify(thrown)}`);
      expect(error.cause).toBe(thrown);
    }
  });

  it('undefined and null: said so exactly', () => {
    expect(toError(undefined).message).toBe('the handler threw undefined (or rejected with no reason)');
    expect(toError(null).message).toBe('the handler threw null');
  });
});

describe('expiryOf: retention by final status', () => {
  const retention = { completed: 1_000, failed: 2_000, cancelled: 3_000, sweepInterval: 60_000 };

  it('each final status its own period; an unfinished job never', () => {
    expect(expiryOf(JobStatus.COMPLETED, T0, retention)).toEqual(at(1_000));
    expect(expiryOf(JobStatus.FAILED, T0, retention)).toEqual(at(2_000));
    expect(expiryOf(JobStatus.CANCELLED, T0, retention)).toEqual(at(3_000));
    expect(expiryOf(JobStatus.PENDING, T0, retention)).toBeUndefined();
    expect(expiryOf(JobStatus.PROCESSING, T0, retention)).toBeUndefined();
  });

  it('a period reaching past the latest Date keeps the job (never an invalid date, taken for 1970); one reaching it exactly does not', () => {
    const latest = 8.64e15 - T0.getTime();
    expect(expiryOf(JobStatus.COMPLETED, T0, { ...retention, completed: latest + 1 })).toBeUndefined();
    expect(expiryOf(JobStatus.COMPLETED, T0, { ...retention, completed: latest })?.getTime()).toBe(8.64e15);
  });
});

describe('policyFor', () => {
  it('without a job or worker policy: the instance maxRetries and exponential backoff from baseRetryInterval', () => {
    const settings: DecisionSettings = {
      maxRetries: 4,
      baseRetryInterval: 250,
      maxBackoffDelay: 60_000,
      retention: false,
    };
    expect(policyFor(processingJob('task', T0), undefined, settings)).toEqual({
      maxRetries: 4,
      backoff: { type: 'exponential', delay: 250 },
    });
  });
});

describe('nextOccurrence: the boundary', () => {
  it('a next cron time exactly now is already past: the one after it is taken', () => {
    // Scheduled for 00:00, every minute: the next time after it is 00:01. At exactly 00:01 that
    // occurrence is the one running now, so the next is 00:02.
    const job: Job = { ...processingJob('task', T0), repeatInterval: '* * * * *' };
    expect(nextOccurrence(job, at(60_000))).toEqual(at(120_000));
    expect(nextOccurrence(job, at(59_999))).toEqual(at(60_000));
  });

  it('an instance whose clock is behind the occurrence that ran does not schedule that occurrence again', () => {
    // Scheduled for 00:01 and run by an instance whose clock says 00:00:30: next is 00:02.
    const job: Job = { ...processingJob('task', at(60_000)), repeatInterval: '* * * * *' };
    expect(nextOccurrence(job, at(30_000))).toEqual(at(120_000));
  });
});
