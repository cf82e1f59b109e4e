/**
 * The engine's timer-driven helpers, on fake timers with scripted stores (what the database does
 * with their writes is tested in `store/` and `operations/`): the retention sweeper never runs two
 * sweeps at once and logs only what it did; the throughput recorder keeps the counts of a failed
 * flush, adding them to those counted meanwhile; the connection watch follows the client's
 * monitoring events only while started.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionWatch } from '../../src/engine/connection-watch.js';
import { RetentionSweeper } from '../../src/engine/retention-sweeper.js';
import { DEFAULT_FLUSH_INTERVAL, ThroughputRecorder } from '../../src/engine/throughput-recorder.js';
import { MonqueEventEmitter } from '../../src/events.js';
import type { Logger } from '../../src/monque-options.js';
import type { RetentionStore, SweepResult } from '../../src/store/retention-store.js';
import type { ThroughputCount, ThroughputStore } from '../../src/store/throughput-store.js';
import { deferred } from '../helpers/events.js';
import { TestClock } from '../helpers/test-clock.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A logger that records `level: message context`. */
function recordingLogger() {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (message: string, context?: Record<string, unknown>): void => {
      lines.push(`${level}: ${message}${context ? ` ${JSON.stringify(context)}` : ''}`);
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

function errorsOf(events: MonqueEventEmitter): Error[] {
  const errors: Error[] = [];
  events.on('job:error', ({ error }) => errors.push(error));
  return errors;
}

describe('RetentionSweeper', () => {
  function sweeper(deleteExpired: () => Promise<SweepResult>) {
    const { logger, lines } = recordingLogger();
    const events = new MonqueEventEmitter();
    const errors = errorsOf(events);
    const store = { deleteExpired } as unknown as RetentionStore;
    const clock = new TestClock('2030-01-01T00:00:00Z');
    return { sweeper: new RetentionSweeper({ store, clock, interval: 100, events, logger }), lines, errors };
  }

  it('logs what a sweep deleted, and nothing for a sweep that deleted nothing', async () => {
    const results: SweepResult[] = [
      { jobs: 0, metrics: 0 },
      { jobs: 2, metrics: 0 },
      { jobs: 0, metrics: 3 },
    ];
    const { sweeper: sweep, lines } = sweeper(async () => results.shift() ?? { jobs: 0, metrics: 0 });
    expect(await sweep.sweepOnce()).toEqual({ jobs: 0, metrics: 0 });
    expect(lines).toEqual([]);
    await sweep.sweepOnce();
    await sweep.sweepOnce();
    expect(lines).toEqual([
      'debug: retention: deleted expired documents {"jobs":2,"metrics":0}',
      'debug: retention: deleted expired documents {"jobs":0,"metrics":3}',
    ]);
  });

  it('never two sweeps at once: a tick during a slow sweep is skipped', async () => {
    vi.useFakeTimers({ now: 0 });
    const slow = deferred<SweepResult>();
    let sweeps = 0;
    const { sweeper: sweep } = sweeper(() => {
      sweeps += 1;
      return sweeps === 1 ? slow.promise : Promise.resolve({ jobs: 0, metrics: 0 });
    });
    sweep.start();
    await vi.advanceTimersByTimeAsync(350);
    expect(sweeps).toBe(1);
    slow.resolve({ jobs: 0, metrics: 0 });
    await vi.advanceTimersByTimeAsync(100);
    expect(sweeps).toBe(2);
    await sweep.stop();
  });

  it('a failed sweep: one error log with its message and one job:error, as an Error even when something else was thrown', async () => {
    vi.useFakeTimers({ now: 0 });
    const thrown: unknown[] = ['disk full', new Error('not primary')];
    const {
      sweeper: sweep,
      lines,
      errors,
    } = sweeper(async () => {
      throw thrown.shift();
    });
    sweep.start();
    await vi.advanceTimersByTimeAsync(200);
    await sweep.stop();
    expect(lines).toEqual([
      'error: retention: sweep failed {"error":"disk full"}',
      'error: retention: sweep failed {"error":"not primary"}',
    ]);
    expect(errors.map((error) => [error instanceof Error, error.message])).toEqual([
      [true, 'disk full'],
      [true, 'not primary'],
    ]);
  });
});

describe('ThroughputRecorder', () => {
  const MINUTE = new Date('2030-01-01T00:01:00Z');

  function recorder(add: (counts: readonly ThroughputCount[]) => Promise<void>, flushInterval?: number) {
    const { logger, lines } = recordingLogger();
    const events = new MonqueEventEmitter();
    const errors = errorsOf(events);
    const store = { add } as unknown as ThroughputStore;
    return { recorder: new ThroughputRecorder({ store, events, logger, flushInterval }), lines, errors };
  }

  it('a failed flush keeps its counts and adds them to those counted meanwhile; it is logged and reported once', async () => {
    const written: ThroughputCount[][] = [];
    let calls = 0;
    const gate = deferred();
    const {
      recorder: counts,
      lines,
      errors,
    } = recorder(async (batch) => {
      calls += 1;
      if (calls === 1) {
        await gate.promise;
        throw new Error('no primary');
      }
      written.push(batch.map((count) => ({ ...count })));
    });
    counts.record('mail', 'completed', MINUTE);
    counts.record('mail', 'failed', MINUTE);
    const failing = counts.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toBe(1);
    // Counted while the failing flush is in flight: a new entry for the same name and minute.
    counts.record('mail', 'completed', MINUTE);
    counts.record('sms', 'completed', MINUTE);
    gate.resolve();
    await expect(failing).rejects.toThrow('no primary');
    expect(lines).toEqual([
      'warn: throughput: could not store run counts; retrying at the next flush {"error":"no primary"}',
    ]);
    expect(errors.map((error) => error.message)).toEqual(['no primary']);
    await counts.flush();
    expect(written).toEqual([
      [
        { name: 'mail', minute: MINUTE, completed: 2, failed: 1 },
        { name: 'sms', minute: MINUTE, completed: 1, failed: 0 },
      ],
    ]);
    // Nothing counted since: no write at all.
    await counts.flush();
    expect(calls).toBe(2);
  });

  it(`flushes every ${DEFAULT_FLUSH_INTERVAL} ms by default; start() twice is one timer; stop() writes what is left`, async () => {
    vi.useFakeTimers({ now: MINUTE.getTime() });
    const flushes: number[] = [];
    const { recorder: counts } = recorder(async () => {
      flushes.push(Date.now() - MINUTE.getTime());
    });
    counts.start();
    counts.start();
    counts.record('mail', 'completed', MINUTE);
    await vi.advanceTimersByTimeAsync(DEFAULT_FLUSH_INTERVAL - 1);
    expect(flushes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(flushes).toEqual([DEFAULT_FLUSH_INTERVAL]);
    counts.record('mail', 'completed', MINUTE);
    await counts.stop();
    expect(flushes).toEqual([DEFAULT_FLUSH_INTERVAL, DEFAULT_FLUSH_INTERVAL]);
    counts.record('mail', 'completed', MINUTE);
    await vi.advanceTimersByTimeAsync(3 * DEFAULT_FLUSH_INTERVAL);
    expect(flushes).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('ConnectionWatch', () => {
  it.each(['serverHeartbeatFailed', 'close'])('reports %s while started, not after stop()', (event) => {
    const client = new EventEmitter();
    let lost = 0;
    const watch = new ConnectionWatch(client, () => {
      lost += 1;
    });
    client.emit(event);
    expect(lost).toBe(0);
    watch.start();
    client.emit(event);
    expect(lost).toBe(1);
    watch.stop();
    client.emit(event);
    expect(lost).toBe(1);
    expect(client.listenerCount(event)).toBe(0);
  });

  it('without a client to watch, start() and stop() do nothing', () => {
    const watch = new ConnectionWatch(undefined, () => {});
    expect(() => {
      watch.start();
      watch.stop();
    }).not.toThrow();
  });
});

describe('a round trip of a background task whose reply never comes', () => {
  it('fails a retention sweep after its timeout (job:error), and the next sweep runs as planned', async () => {
    vi.useFakeTimers();
    const { logger } = recordingLogger();
    const events = new MonqueEventEmitter();
    const errors = errorsOf(events);
    let calls = 0;
    const deleteExpired = () => {
      calls += 1;
      return new Promise<SweepResult>(() => {});
    };
    const store = { deleteExpired } as unknown as RetentionStore;
    const clock = new TestClock('2030-01-01T00:00:00Z');
    const sweep = new RetentionSweeper({ store, clock, interval: 100, timeout: 250, events, logger });
    sweep.start();
    await vi.advanceTimersByTimeAsync(349);
    expect([calls, errors.length]).toEqual([1, 0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(errors.map((error) => error.name)).toEqual(['OperationTimeoutError']);
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(2);
    // The second sweep gives up at 650 ms, before the tick at 700 ms could start a third.
    await vi.advanceTimersByTimeAsync(200);
    expect(errors).toHaveLength(2);
    await sweep.stop();
  });

  it('fails a throughput flush after its timeout, keeping its counts for the next one', async () => {
    vi.useFakeTimers();
    const { logger } = recordingLogger();
    const events = new MonqueEventEmitter();
    const errors = errorsOf(events);
    const written: ThroughputCount[][] = [];
    let calls = 0;
    const add = async (batch: readonly ThroughputCount[]) => {
      calls += 1;
      if (calls === 1) return new Promise<void>(() => {});
      written.push(batch.map((count) => ({ ...count })));
    };
    const store = { add } as unknown as ThroughputStore;
    const counts = new ThroughputRecorder({ store, events, logger, timeout: 250 });
    counts.record('mail', 'completed', new Date('2030-01-01T00:01:00Z'));
    const stuck = counts.flush().catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(250);
    expect(((await stuck) as Error).name).toBe('OperationTimeoutError');
    expect(errors).toHaveLength(1);
    await counts.flush();
    expect(written.map((batch) => batch.map((count) => count.completed))).toEqual([[1]]);
  });
});
