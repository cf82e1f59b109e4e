import { describe, expect, it } from 'vitest';
import {
  ConnectionError,
  DuplicateWorkerError,
  InvalidArgumentError,
  InvalidCronError,
  type Job,
  JobLockLostError,
  MonqueError,
  MonqueErrorCode,
  ShutdownTimeoutError,
} from '../src/index.js';
import { processingJob } from './helpers/job-fixture.js';

function job(name: string): Job {
  return processingJob(name, new Date('2024-01-01T00:00:00Z'));
}

const running = [job('export'), job('import')];

/** One instance of every error class, with its expected name and code. */
const CASES: readonly { error: MonqueError; name: string; code: string }[] = [
  {
    error: new MonqueError(MonqueErrorCode.LISTENER, 'base'),
    name: 'MonqueError',
    code: 'MONQUE_LISTENER',
  },
  {
    error: new InvalidArgumentError('options.pollInterval', 'expected a number'),
    name: 'InvalidArgumentError',
    code: 'MONQUE_INVALID_ARGUMENT',
  },
  { error: new InvalidCronError('* *', 'Invalid cron'), name: 'InvalidCronError', code: 'MONQUE_INVALID_CRON' },
  {
    error: new ConnectionError('no server', new Error('ECONNREFUSED')),
    name: 'ConnectionError',
    code: 'MONQUE_CONNECTION',
  },
  { error: new ShutdownTimeoutError(100, running), name: 'ShutdownTimeoutError', code: 'MONQUE_SHUTDOWN_TIMEOUT' },
  { error: new DuplicateWorkerError('email'), name: 'DuplicateWorkerError', code: 'MONQUE_DUPLICATE_WORKER' },
  { error: new JobLockLostError('abc', 'completion'), name: 'JobLockLostError', code: 'MONQUE_JOB_LOCK_LOST' },
];

describe('errors', () => {
  it.each(CASES)('$name has its name, code and the MonqueError → Error chain', ({ error, name, code }) => {
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(MonqueError);
    expect(error.name).toBe(name);
    expect(error.constructor.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.stack).toContain(name);
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
    expect(Object.prototype.toString.call(error)).toBe('[object Error]');
  });

  it('every code is distinct and stable', () => {
    const codes = Object.values(MonqueErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^MONQUE_[A-Z_]+$/);
    expect(MonqueErrorCode).toEqual({
      INVALID_ARGUMENT: 'MONQUE_INVALID_ARGUMENT',
      INVALID_CRON: 'MONQUE_INVALID_CRON',
      CONNECTION: 'MONQUE_CONNECTION',
      SHUTDOWN_TIMEOUT: 'MONQUE_SHUTDOWN_TIMEOUT',
      JOB_LOCK_LOST: 'MONQUE_JOB_LOCK_LOST',
      DUPLICATE_WORKER: 'MONQUE_DUPLICATE_WORKER',
      LISTENER: 'MONQUE_LISTENER',
      RATE_LIMITED: 'MONQUE_RATE_LIMITED',
      JOB_STATE: 'MONQUE_JOB_STATE',
      JOB_TIMEOUT: 'MONQUE_JOB_TIMEOUT',
      JOB_CANCELLED: 'MONQUE_JOB_CANCELLED',
      UNRECOVERABLE: 'MONQUE_UNRECOVERABLE',
    });
  });

  it('subclasses are not instances of each other', () => {
    const cron = new InvalidCronError('x', 'bad');
    expect(cron).not.toBeInstanceOf(InvalidArgumentError);
    expect(new InvalidArgumentError('name', 'bad')).not.toBeInstanceOf(InvalidCronError);
    expect(new ConnectionError('x', null)).not.toBeInstanceOf(ShutdownTimeoutError);
  });

  it('MonqueError keeps a cause', () => {
    const cause = new Error('root');
    expect(new MonqueError(MonqueErrorCode.LISTENER, 'wrapped', { cause }).cause).toBe(cause);
  });

  it('InvalidArgumentError names the argument in its field and message', () => {
    const error = new InvalidArgumentError('options.runAt', 'expected a valid Date, got an invalid Date');
    expect(error.argument).toBe('options.runAt');
    expect(error.message).toBe('options.runAt: expected a valid Date, got an invalid Date');
  });

  it('InvalidCronError carries the expression', () => {
    const error = new InvalidCronError('61 * * * *', 'minute out of range');
    expect(error.expression).toBe('61 * * * *');
    expect(error.message).toBe('minute out of range');
  });

  it('ConnectionError carries its cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new ConnectionError('cannot reach the server', cause);
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('cannot reach the server');
  });

  it('ShutdownTimeoutError lists the incomplete jobs', () => {
    const error = new ShutdownTimeoutError(250, running);
    expect(error.incompleteJobs).toBe(running);
    expect(error.message).toContain('250 ms');
    expect(error.message).toContain('2 job(s) not finished');
    for (const incomplete of running) {
      expect(error.message).toContain(`${incomplete.name} ${incomplete._id.toHexString()}`);
    }
    expect(new ShutdownTimeoutError(10, []).incompleteJobs).toEqual([]);
  });

  it('DuplicateWorkerError carries the job name', () => {
    const error = new DuplicateWorkerError('email');
    expect(error.jobName).toBe('email');
    expect(error.message).toBe("a worker for job name 'email' is already registered");
  });

  it('JobLockLostError names the job', () => {
    expect(new JobLockLostError('65a0').message).toMatch(/^job 65a0: this instance no longer holds it/);
    expect(new JobLockLostError('65a0').jobId).toBe('65a0');
  });
});
