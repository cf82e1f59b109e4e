/**
 * Which database errors count as transient (an outcome write is retried later; a transaction is left
 * to the driver's retry) and which are not (the write itself is at fault: it is isolated and fails
 * its own job), and how the engine's own database errors are reported.
 */
import { createRequire } from 'node:module';
import {
  MongoBulkWriteError,
  MongoError,
  MongoNetworkError,
  MongoServerError,
  MongoServerSelectionError,
  MongoWriteConcernError,
} from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  engineConnectionError,
  isTransientError,
  OperationTimeoutError,
  wasNeverSent,
  withTimeout,
} from '../src/database-errors.js';
import { ConnectionError } from '../src/index.js';

function serverError(code: number, labels: string[] = []): MongoServerError {
  const error = new MongoServerError({ message: `code ${code}`, code, errorLabels: labels });
  return error;
}

/** The driver's write concern error of a bulk write (internal: not exported by the package). */
const { WriteConcernError } = createRequire(import.meta.url)('mongodb/lib/bulk/common.js') as {
  WriteConcernError: new (error: { code: number; errmsg: string }) => object;
};

const noServer = () => new MongoServerSelectionError('no primary', { type: 'Unknown', servers: new Map() } as never);

/** A bulk write's error as the driver builds it (its result is not looked at). */
function bulkError(wrapped: object | { message: string; code?: number; writeErrors?: unknown[] }): MongoBulkWriteError {
  return new MongoBulkWriteError(wrapped as never, {} as never);
}

describe('isTransientError', () => {
  it.each([
    ['a network error', new MongoNetworkError('connection reset')],
    [
      'no server selected',
      new MongoServerSelectionError('no primary', { type: 'Unknown', servers: new Map() } as never),
    ],
    ['our own operation timeout', new OperationTimeoutError('claiming jobs', 100)],
    ['not primary (an election)', serverError(10107)],
    ['primary stepped down', serverError(189)],
    ['shutting down', serverError(91)],
    ['a retryable write error label', serverError(1, ['RetryableWriteError'])],
    ['a transient transaction error label', serverError(2, ['TransientTransactionError'])],
    [
      'a socket error passed on as it is',
      Object.assign(new Error('write ECONNRESET'), { code: 'ECONNRESET', syscall: 'write' }),
    ],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    // What the driver wraps: a bulk write's network error or server-selection timeout, a write concern error.
    ['a bulk write that lost its connection', bulkError(new MongoNetworkError('connection reset'))],
    ['a bulk write that found no server', bulkError(noServer())],
    [
      'a bulk write whose write concern timed out',
      bulkError(new WriteConcernError({ code: 64, errmsg: 'waiting for replication timed out' })),
    ],
    [
      'a bulk write whose first item was interrupted by a shutdown (the driver takes its code)',
      bulkError({ message: 'interrupted', code: 11600, writeErrors: [{ code: 11600 }, { code: 11602 }] }),
    ],
    [
      'a write concern error of a stepped-down primary',
      new MongoWriteConcernError({ writeConcernError: { code: 189, errmsg: 'stepped down' } } as never),
    ],
    ['an error whose cause is a network error', new Error('wrapped', { cause: new MongoNetworkError('reset') })],
  ])('%s is transient', (_, error) => {
    expect(isTransientError(error)).toBe(true);
  });

  it.each([
    ['a duplicate key', serverError(11000)],
    ['a document too large', serverError(10334)],
    ['a bad value', serverError(2)],
    ['a plain Error', new Error('boom')],
    ['a driver error that says nothing about the network', new MongoError('invalid BSON')],
    ['not an error at all', 'string'],
    [
      'a bulk write with a duplicate key',
      bulkError({ message: 'E11000', code: 11000, writeErrors: [{ code: 11000 }] }),
    ],
    [
      'a bulk write with one item too large and one interrupted',
      bulkError({ message: 'too large', code: 10334, writeErrors: [{ code: 10334 }, { code: 11600 }] }),
    ],
    [
      'an unsatisfiable write concern',
      new MongoWriteConcernError({ writeConcernError: { code: 100, errmsg: 'not enough members' } } as never),
    ],
  ])('%s is not transient', (_, error) => {
    expect(isTransientError(error)).toBe(false);
  });
});

describe('wasNeverSent', () => {
  it.each([
    ['no server selected', noServer(), true],
    ['a connection that failed before its handshake', new MongoNetworkError('reset', { beforeHandshake: true }), true],
    [
      'opening a connection failed (the pool marks it with its generation)',
      Object.assign(new MongoNetworkError('connect ECONNRESET'), { connectionGeneration: 0 }),
      true,
    ],
    ['a connection lost after the command was sent', new MongoNetworkError('reset'), false],
    ['our own operation timeout', new OperationTimeoutError('enqueue', 100), false],
    ['a refusal by the server', serverError(11000), false],
    ['not an error at all', 'string', false],
  ])('%s: %s', (_, error, expected) => {
    expect(wasNeverSent(error)).toBe(expected);
  });
});

describe('engine errors', () => {
  it('arrive as ConnectionError naming what failed, with the driver error as cause', () => {
    const cause = new MongoNetworkError('connection reset');
    const error = engineConnectionError('renewing locks', cause);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toBe('renewing locks failed: connection reset');
    expect(error.cause).toBe(cause);
    expect(engineConnectionError('again', error)).toBe(error);
  });

  it('withTimeout: its timer never keeps the process alive on its own', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    const never = withTimeout(new Promise(() => {}), 60_000, 'a read that never answers');
    never.catch(() => {});
    expect(timers()).toBe(before);
  });

  it('withTimeout rejects with OperationTimeoutError when the work takes too long, and passes results through', async () => {
    await expect(withTimeout(new Promise(() => {}), 20, 'a read')).rejects.toBeInstanceOf(OperationTimeoutError);
    await expect(withTimeout(Promise.resolve(7), 10_000, 'a read')).resolves.toBe(7);
  });
});
