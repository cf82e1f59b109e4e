/**
 * The engine's life cycle as a state machine, driven through scripted parts (each records its
 * calls; the parts themselves are tested on their own and black-box): the order of start and stop,
 * a start or stop called again meanwhile, a stop during a start (nothing starts after it), a start
 * that fails, and the deadlines of stop (runs given back after `shutdownTimeout`, unwritten
 * outcomes abandoned after a last grace).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Scheduler, type SchedulerDeps } from '../../src/engine/scheduler.js';
import { ConnectionError } from '../../src/errors/connection-error.js';
import { ShutdownTimeoutError } from '../../src/errors/shutdown-timeout-error.js';
import { MonqueEventEmitter } from '../../src/events.js';
import type { Job } from '../../src/job.js';
import { deferred } from '../helpers/events.js';

afterEach(() => {
  vi.useRealTimers();
});

const SHUTDOWN = 1_000;
const GRACE = 1_000;
const unfinished = [{ name: 'slow', _id: { toHexString: () => 'job-1' } }] as unknown as Job[];

interface Script {
  ready?: () => Promise<void>;
  recoverOnce?: () => Promise<number>;
  idle?: () => Promise<void>;
  drain?: () => Promise<void>;
  releaseLost?: () => Promise<void>;
  recoverStaleJobs?: boolean;
}

/** Dates as ISO strings; epoch-ms deadlines (wall time) as `until`. */
const shown = (value: unknown) =>
  value instanceof Date ? value.toISOString() : typeof value === 'number' ? 'until' : String(value);

/** A scheduler whose parts record their calls in `calls`, in order. */
function scheduler(script: Script = {}) {
  const calls: string[] = [];
  const events = new MonqueEventEmitter();
  const errors: Error[] = [];
  events.on('job:error', ({ error }) => errors.push(error));
  const logged: string[] = [];
  const log = (level: string) => (message: string) => logged.push(`${level}: ${message}`);
  const step =
    (name: string, work?: () => Promise<unknown>) =>
    async (...args: unknown[]) => {
      calls.push(args.length > 0 ? `${name}(${args.map(shown).join(', ')})` : name);
      return work?.();
    };
  const sync = (name: string) => () => {
    calls.push(name);
  };
  const deps = {
    clock: { now: () => new Date(0) },
    events,
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    shutdownTimeout: SHUTDOWN,
    recoverStaleJobs: script.recoverStaleJobs ?? true,
    ready: step('ready', script.ready),
    recovery: {
      recoverOnce: step('recoverOnce', script.recoverOnce),
      start: sync('recovery.start'),
      stop: step('recovery.stop'),
    },
    poller: { start: sync('poller.start'), stop: step('poller.stop') },
    claimer: { releaseLost: step('releaseLost', script.releaseLost) },
    runner: {
      idle: step('runner.idle', script.idle),
      unfinishedJobs: () => unfinished,
      shutdown: step('runner.shutdown'),
    },
    writer: {
      drain: step('writer.drain', script.drain),
      abandon: sync('writer.abandon'),
      reopen: sync('writer.reopen'),
    },
    heartbeat: { start: sync('heartbeat.start'), stop: step('heartbeat.stop') },
    background: [{ start: sync('task.start'), stop: step('task.stop') }],
    lastToStop: [{ start: sync('counters.start'), stop: step('counters.stop') }],
    onRunning: sync('onRunning'),
    onStopped: sync('onStopped'),
  } as unknown as SchedulerDeps;
  return { scheduler: new Scheduler(deps), calls, errors, logged };
}

const START_ORDER = [
  'ready',
  'recoverOnce(true)',
  'recovery.start',
  'writer.reopen',
  'heartbeat.start',
  'task.start',
  'counters.start',
  'poller.start',
  'onRunning',
];
const STOP_ORDER = [
  'poller.stop',
  'recovery.stop',
  'task.stop',
  'runner.idle',
  'writer.drain',
  'counters.stop',
  'releaseLost(until)',
  'heartbeat.stop',
  // Closed: nothing is written after stop(), whatever is queued late.
  'writer.abandon',
  'onStopped',
];

describe('scheduler: start', () => {
  it('starts the parts in order, once; start() while starting or running is the same start', async () => {
    const { scheduler: engine, calls, logged } = scheduler();
    const first = engine.start();
    expect(engine.state).toBe('starting');
    const second = engine.start();
    expect(second).toBe(first);
    await first;
    await engine.start();
    expect(engine.state).toBe('running');
    expect(calls).toEqual(START_ORDER);
    expect(logged).toEqual(['info: monque started']);
  });

  it('recoverStaleJobs false: no recovery at start nor later', async () => {
    const { scheduler: engine, calls } = scheduler({ recoverStaleJobs: false });
    await engine.start();
    expect(calls).toEqual([
      'ready',
      'writer.reopen',
      'heartbeat.start',
      'task.start',
      'counters.start',
      'poller.start',
      'onRunning',
    ]);
  });

  it('a failing start rejects with its error and leaves the engine stopped, ready to try again', async () => {
    let attempts = 0;
    const { scheduler: engine, calls } = scheduler({
      ready: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('no server');
      },
    });
    await expect(engine.start()).rejects.toThrow('no server');
    expect(engine.state).toBe('stopped');
    expect(calls).toEqual(['ready']);
    await engine.start();
    expect(engine.state).toBe('running');
  });

  it('a failing recovery at start is a ConnectionError saying so, with the cause', async () => {
    const cause = new Error('read timed out');
    const { scheduler: engine, calls } = scheduler({
      recoverOnce: async () => {
        throw cause;
      },
    });
    const error = await engine.start().then(
      () => undefined,
      (thrown: unknown) => thrown as ConnectionError,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error?.message).toContain('stale job recovery failed: read timed out');
    expect(error?.cause).toBe(cause);
    expect(calls).not.toContain('poller.start');
    expect(engine.state).toBe('stopped');
  });
});

describe('scheduler: stop during start', () => {
  it.each([
    ['while the indexes are created', 'ready'],
    ['while orphans are recovered', 'recoverOnce'],
  ] as const)('%s: nothing starts after stop() resolved', async (_, held) => {
    const gate = deferred();
    const { scheduler: engine, calls } = scheduler({
      [held]: async () => {
        await gate.promise;
        return 0;
      },
    });
    const starting = engine.start();
    await Promise.resolve();
    let stopped = false;
    const stopping = engine.stop().then(() => {
      stopped = true;
    });
    // stop() waits for the start step in flight.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    await starting;
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(engine.state).toBe('stopped');
    for (const part of [
      'recovery.start',
      'writer.reopen',
      'heartbeat.start',
      'task.start',
      'poller.start',
      'onRunning',
    ]) {
      expect(calls).not.toContain(part);
    }
    // Stopped while the indexes were created: not even the orphans are looked for.
    if (held === 'ready') expect(calls).not.toContain('recoverOnce(true)');
  });

  it('a start that fails after stop() began leaves the state to stop()', async () => {
    const ready = deferred();
    const idle = deferred();
    const { scheduler: engine } = scheduler({
      ready: async () => {
        await ready.promise;
        throw new Error('no server');
      },
      idle: () => idle.promise,
    });
    const starting = engine.start();
    const stopping = engine.stop();
    ready.resolve();
    await expect(starting).rejects.toThrow('no server');
    expect(engine.state).toBe('stopping');
    idle.resolve();
    await stopping;
    expect(engine.state).toBe('stopped');
  });

  it('start() while stopping starts again once stopped', async () => {
    const { scheduler: engine, calls } = scheduler();
    await engine.start();
    const stopping = engine.stop();
    const restarting = engine.start();
    expect(engine.stop()).toBe(stopping);
    await restarting;
    expect(engine.state).toBe('running');
    expect(calls).toEqual([...START_ORDER, ...STOP_ORDER, ...START_ORDER]);
  });
});

describe('scheduler: stop', () => {
  it('stops the parts in order; a stop() when stopped resolves at once without calls', async () => {
    const { scheduler: engine, calls, logged } = scheduler();
    await engine.stop();
    expect(calls).toEqual([]);
    await engine.start();
    calls.length = 0;
    await engine.stop();
    expect(engine.state).toBe('stopped');
    expect(calls).toEqual(STOP_ORDER);
    expect(logged).toEqual(['info: monque started', 'info: monque stopped']);
    await engine.stop();
    expect(calls).toEqual(STOP_ORDER);
  });

  it('runs still going at shutdownTimeout: a ShutdownTimeoutError naming them, and their jobs given back', async () => {
    vi.useFakeTimers({ now: 0 });
    const { scheduler: engine, calls, errors, logged } = scheduler({ idle: () => new Promise(() => {}) });
    await engine.start();
    calls.length = 0;
    let stopped = false;
    const stopping = engine.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(SHUTDOWN - 1);
    expect(errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ShutdownTimeoutError);
    expect((errors[0] as ShutdownTimeoutError).incompleteJobs).toBe(unfinished);
    expect(logged).toContain('warn: stop() gave up waiting for running jobs; they are given back');
    expect(calls.filter((call) => call.startsWith('runner.shutdown'))).toEqual([
      `runner.shutdown(${errors[0]}, until)`,
    ]);
    await stopping;
    expect(stopped).toBe(true);
    // The outcomes were written: the writer is closed only at the very end.
    expect(calls.filter((call) => call === 'writer.abandon')).toHaveLength(1);
    expect(calls.slice(-2)).toEqual(['writer.abandon', 'onStopped']);
  });

  it('outcomes not written by the last grace after the deadline are abandoned; stop() still resolves', async () => {
    vi.useFakeTimers({ now: 0 });
    const { scheduler: engine, calls } = scheduler({ drain: () => new Promise(() => {}) });
    await engine.start();
    let stopped = false;
    const stopping = engine.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(SHUTDOWN + GRACE - 1);
    expect(calls).not.toContain('writer.abandon');
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toContain('writer.abandon');
    expect(calls.indexOf('writer.abandon')).toBeLessThan(calls.indexOf('counters.stop'));
    await stopping;
    expect(stopped).toBe(true);
  });

  it('a failure giving back lost claims is reported; stop() still resolves', async () => {
    const failure = new Error('release failed');
    const {
      scheduler: engine,
      errors,
      calls,
    } = scheduler({
      releaseLost: async () => {
        throw failure;
      },
    });
    await engine.start();
    await engine.stop();
    expect(errors).toEqual([failure]);
    expect(calls).toContain('heartbeat.stop');
  });
});
