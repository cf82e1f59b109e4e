/**
 * The runner's decisions after a handler settles, with a scripted outcome writer (the writes
 * themselves are tested in `store/` and black-box): a write that finds the job changed decides
 * again from the stored job (a cancellation wins); a success whose write is refused fails for good
 * (never stored without its result); a failure whose write is refused is not tried again; a refused write of a
 * cancellation becomes an unrecoverable failure; at most 5 writes per run; and the bookkeeping of
 * runs (a job already running or without a worker is given back; lost locks and cancellations from
 * the heartbeat; shutdown; idle).
 */
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { isUnrecoverable } from '../../src/engine/handler-errors.js';
import { noInstrumentation } from '../../src/engine/instrumentation.js';
import type { DecisionSettings } from '../../src/engine/outcome.js';
import { OutcomeAbandonedError, type OutcomeWriter } from '../../src/engine/outcome-writer.js';
import { JobRunner } from '../../src/engine/runner.js';
import { WorkerRegistry } from '../../src/engine/worker-registry.js';
import { ConnectionError } from '../../src/errors/connection-error.js';
import { JobCancelledError } from '../../src/errors/job-cancelled-error.js';
import { JobLockLostError } from '../../src/errors/job-lock-lost-error.js';
import { MonqueErrorCode } from '../../src/errors/monque-error.js';
import { ShutdownTimeoutError } from '../../src/errors/shutdown-timeout-error.js';
import { UnrecoverableError } from '../../src/errors/unrecoverable-error.js';
import { MonqueEventEmitter } from '../../src/events.js';
import { JobStatus } from '../../src/job.js';
import type { JobDocument } from '../../src/store/job-document.js';
import type { JobOutcome, OutcomeResult } from '../../src/store/outcome-store.js';
import { deferred } from '../helpers/events.js';
import { TestClock } from '../helpers/test-clock.js';

const T0 = new Date('2030-01-01T00:00:00Z');
const settings: DecisionSettings = {
  maxRetries: 3,
  baseRetryInterval: 1_000,
  maxBackoffDelay: 60_000,
  retention: false,
};

function claimed(name = 'task', fields: Partial<JobDocument> = {}): JobDocument {
  return {
    _id: new ObjectId(),
    name,
    data: {},
    status: JobStatus.PROCESSING,
    nextRunAt: T0,
    priority: 0,
    lockedAt: T0,
    failCount: 0,
    attempts: 1,
    createdAt: T0,
    updatedAt: T0,
    owner: 'me',
    claimToken: 'claim-1',
    ...fields,
  };
}

/** A runner whose writer answers each write with the next of `answers` (then `written`). */
function runner(answers: OutcomeResult[] = [], options: { release?: () => Promise<void> } = {}) {
  const events = new MonqueEventEmitter();
  const seen: string[] = [];
  const errors: Error[] = [];
  for (const event of ['job:complete', 'job:fail', 'job:cancelled'] as const) {
    events.on(event, (payload: { job: { status: string } }) => seen.push(`${event} ${payload.job.status}`));
  }
  events.on('job:error', ({ error }) => errors.push(error));
  const writes: JobOutcome[] = [];
  const writer = {
    write: async (outcome: JobOutcome) => {
      writes.push(outcome);
      return answers.shift() ?? { kind: 'written' };
    },
  } as unknown as OutcomeWriter;
  const registry = new WorkerRegistry();
  const released: string[][] = [];
  const pending: string[] = [];
  const ended: string[] = [];
  const jobRunner = new JobRunner({
    registry,
    writer,
    clock: new TestClock(T0),
    events,
    settings,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    instrumentation: noInstrumentation,
    setProgress: async () => true,
    release: async (runs) => {
      released.push(runs.map((run) => run.id.toHexString()));
      await options.release?.();
    },
    onSlotFreed: () => {},
    onJobPending: (name) => pending.push(name),
    onRunEnded: (name, ending) => ended.push(`${name} ${ending}`),
  });
  return { runner: jobRunner, registry, writes, seen, errors, released, pending, ended };
}

describe('runner: deciding again after a write', () => {
  it('a write that finds a cancellation requested meanwhile: the run ends cancelled, with the stored reason', async () => {
    const job = claimed();
    const current = { ...job, cancelRequestedAt: T0, cancelReason: 'operator' };
    const { runner: jobs, registry, writes, seen } = runner([{ kind: 'changed', current }]);
    registry.register('task', async () => 'done', 1);
    jobs.run(job);
    await jobs.idle();
    expect(writes.map((write) => write.transition.status)).toEqual([JobStatus.COMPLETED, JobStatus.CANCELLED]);
    expect(writes[1]?.job).toBe(current);
    expect(seen).toEqual(['job:cancelled cancelled']);
  });

  it('a write that finds the job changed otherwise: the same ending is written again for the job as stored', async () => {
    const job = claimed();
    const current = { ...job, repeatInterval: '0 * * * *', timezone: 'UTC' };
    const { runner: jobs, registry, writes, seen } = runner([{ kind: 'changed', current }]);
    registry.register('task', async () => 'done', 1);
    jobs.run(job);
    await jobs.idle();
    expect(writes.map((write) => write.transition.status)).toEqual([JobStatus.COMPLETED, JobStatus.PENDING]);
    expect(seen).toEqual(['job:complete pending']);
  });

  it('at most 5 writes per run, however often the job keeps changing', async () => {
    const job = claimed();
    const changed: OutcomeResult = { kind: 'changed', current: job };
    const { runner: jobs, registry, writes, seen } = runner(Array.from({ length: 10 }, () => changed));
    registry.register('task', async () => 'done', 1);
    jobs.run(job);
    await jobs.idle();
    expect(writes).toHaveLength(5);
    expect(seen).toEqual([]);
    expect(jobs.activeCount).toBe(0);
  });
});

describe('runner: a write the server refuses', () => {
  const refusal = new Error('document too large');

  it("of a success with a result: reported, then an unrecoverable failure saying the handler's result could not be stored", async () => {
    const { runner: jobs, registry, writes, seen, errors } = runner([{ kind: 'error', error: refusal }]);
    registry.register('task', async () => ({ rows: 3 }), 1);
    jobs.run(claimed());
    await jobs.idle();
    expect(errors).toEqual([refusal]);
    expect(writes.map((write) => [write.transition.status, JSON.stringify(write.transition.result ?? null)])).toEqual([
      [JobStatus.COMPLETED, expect.stringContaining('"rows":3')],
      [JobStatus.FAILED, 'null'],
    ]);
    expect(writes[1]?.transition.failReason).toBe("the handler's result could not be stored: document too large");
    expect(seen).toEqual(['job:fail failed']);
  });

  it('of a success without a result, or of a cancellation: it becomes an unrecoverable failure saying why', async () => {
    const { runner: jobs, registry, writes, errors } = runner([{ kind: 'error', error: refusal }]);
    registry.register('task', async () => undefined, 1);
    jobs.run(claimed());
    await jobs.idle();
    expect(errors).toEqual([refusal]);
    expect(writes.map((write) => write.transition.status)).toEqual([JobStatus.COMPLETED, JobStatus.FAILED]);
    expect(writes[1]?.transition.failReason).toBe("the run's outcome could not be stored: document too large");
  });

  it('of a failure: reported, and not tried again', async () => {
    const { runner: jobs, registry, writes, errors, seen } = runner([{ kind: 'error', error: refusal }]);
    registry.register(
      'task',
      async () => {
        throw new Error('boom');
      },
      1,
    );
    jobs.run(claimed());
    await jobs.idle();
    expect(writes).toHaveLength(1);
    expect(errors).toEqual([refusal]);
    expect(seen).toEqual([]);
  });

  it('abandoned at stop(): reported as a ConnectionError, and not tried again', async () => {
    const abandoned = new OutcomeAbandonedError();
    const { runner: jobs, registry, writes, errors } = runner([{ kind: 'error', error: abandoned }]);
    registry.register('task', async () => 'done', 1);
    jobs.run(claimed());
    await jobs.idle();
    expect(writes).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ConnectionError);
    expect(errors[0]?.message).toContain('writing the outcome failed');
  });

  it('a lost job: reported as JobLockLostError, nothing more written', async () => {
    const { runner: jobs, registry, writes, errors, seen } = runner([{ kind: 'lost' }]);
    registry.register('task', async () => 'done', 1);
    jobs.run(claimed());
    await jobs.idle();
    expect(writes).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(JobLockLostError);
    expect(seen).toEqual([]);
  });
});

describe('runner: what is reported when a run ends', () => {
  it('completed and failed runs are counted, cancelled ones not; a job pending again is announced', async () => {
    const { runner: jobs, registry, ended, pending } = runner();
    registry.register('ok', async () => 'done', 1);
    registry.register(
      'retried',
      async () => {
        throw new Error('again');
      },
      1,
    );
    registry.register(
      'gives-up',
      async () => {
        throw new UnrecoverableError('no');
      },
      1,
    );
    jobs.run(claimed('ok'));
    jobs.run(claimed('retried'));
    jobs.run(claimed('gives-up'));
    await jobs.idle();
    expect(ended.sort()).toEqual(['gives-up failed', 'ok completed', 'retried failed']);
    expect(pending).toEqual(['retried']);
    const gate = deferred();
    registry.register('slow', () => gate.promise, 1);
    const slow = claimed('slow');
    jobs.run(slow);
    jobs.renewed({ lost: [], cancelled: [{ id: slow._id, reason: 'stop it' }] });
    gate.resolve();
    await jobs.idle();
    expect(ended).toHaveLength(3);
  });
});

describe('runner: bookkeeping', () => {
  it('a job without a worker here, or already running here, is given back unstarted', async () => {
    const { runner: jobs, registry, released } = runner();
    const gate = deferred();
    registry.register('task', () => gate.promise, 2);
    const job = claimed();
    jobs.run(job);
    jobs.run(job);
    jobs.run(claimed('nobody'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).toHaveLength(2);
    expect(released[0]).toEqual([job._id.toHexString()]);
    expect(jobs.activeCount).toBe(1);
    expect(jobs.holds(job._id.toHexString(), 'claim-1')).toBe(true);
    expect(jobs.holds(job._id.toHexString(), 'claim-2')).toBe(false);
    gate.resolve();
    await jobs.idle();
  });

  it('a failure giving jobs back is reported', async () => {
    const failure = new Error('release failed');
    const { runner: jobs, errors } = runner([], {
      release: async () => {
        throw failure;
      },
    });
    await jobs.releaseUnstarted([claimed()]);
    expect(errors).toEqual([failure]);
    await jobs.releaseUnstarted([]);
    expect(errors).toHaveLength(1);
  });

  it('a lost lock from the heartbeat aborts only a run that still holds it; a cancellation aborts with its reason', async () => {
    const { runner: jobs, registry, errors, writes } = runner();
    const signals: AbortSignal[] = [];
    const gate = deferred();
    registry.register(
      'task',
      (_job, { signal }) => {
        signals.push(signal);
        return gate.promise;
      },
      2,
    );
    const lost = claimed();
    const cancelled = claimed();
    jobs.run(lost);
    jobs.run(cancelled);
    jobs.renewed({ lost: [lost._id, new ObjectId()], cancelled: [{ id: cancelled._id, reason: 'ops' }] });
    expect(signals[0]?.reason).toBeInstanceOf(JobLockLostError);
    expect(signals[1]?.reason).toBeInstanceOf(JobCancelledError);
    expect(signals[1]?.reason).toMatchObject({ reason: 'ops' });
    expect(errors.filter((error) => error instanceof JobLockLostError)).toHaveLength(1);
    // The lost run writes nothing and no longer needs its lock renewed; the cancelled one is written.
    await new Promise((resolve) => setImmediate(resolve));
    expect(jobs.heldRuns().map((run) => run.id)).toEqual([]);
    expect(writes.map((write) => write.transition.status)).toEqual([JobStatus.CANCELLED]);
    // A second lost report for the same run changes nothing.
    jobs.renewed({ lost: [lost._id], cancelled: [] });
    expect(errors.filter((error) => error instanceof JobLockLostError)).toHaveLength(1);
    gate.resolve();
    await jobs.idle();
  });

  it('shutdown: runs still going are aborted and given back; a failure giving back is reported; finished runs are left', async () => {
    const failure = new Error('release failed');
    const {
      runner: jobs,
      registry,
      errors,
      released,
    } = runner([], {
      release: async () => {
        throw failure;
      },
    });
    const gate = deferred();
    const signals: AbortSignal[] = [];
    registry.register(
      'task',
      (_job, { signal }) => {
        signals.push(signal);
        return gate.promise;
      },
      2,
    );
    registry.register('quick', async () => 'done', 1);
    jobs.run(claimed('quick'));
    await jobs.idle();
    const going = claimed();
    jobs.run(going);
    expect(jobs.unfinishedJobs().map((job) => job.name)).toEqual(['task']);
    const reason = new ShutdownTimeoutError(10, jobs.unfinishedJobs());
    await jobs.shutdown(reason);
    expect(signals[0]?.reason).toBe(reason);
    expect(released).toEqual([[going._id.toHexString()]]);
    expect(errors).toEqual([failure]);
    expect(jobs.heldRuns()).toEqual([]);
    gate.resolve();
    await jobs.idle();
    // Nothing going: no release at all.
    await jobs.shutdown(reason);
    expect(released).toHaveLength(1);
  });
});

describe('isUnrecoverable', () => {
  it("this copy's UnrecoverableError, or another copy's (same name and code); nothing else", () => {
    expect(isUnrecoverable(new UnrecoverableError('x'))).toBe(true);
    const otherCopy = Object.assign(new Error('x'), {
      name: 'UnrecoverableError',
      code: MonqueErrorCode.UNRECOVERABLE,
    });
    expect(isUnrecoverable(otherCopy)).toBe(true);
    expect(isUnrecoverable(Object.assign(new Error('x'), { name: 'UnrecoverableError' }))).toBe(false);
    expect(isUnrecoverable(Object.assign(new Error('x'), { code: MonqueErrorCode.UNRECOVERABLE }))).toBe(false);
    expect(isUnrecoverable(new Error('x'))).toBe(false);
  });
});
