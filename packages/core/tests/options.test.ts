import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { type Clock, DEFAULT_OPTIONS, InvalidArgumentError, systemClock } from '../src/index.js';
import { checkCollectionName, resolveOptions } from '../src/options.js';

/** Runs `resolveOptions` and returns the InvalidArgumentError it throws. */
function rejection(options: unknown): InvalidArgumentError {
  try {
    resolveOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return error as InvalidArgumentError;
  }
  throw new Error(`expected ${JSON.stringify(options)} to be rejected`);
}

const MAX_TIMER_MS = 2_147_483_647;

describe('resolveOptions defaults', () => {
  it('applies the documented defaults', () => {
    const resolved = resolveOptions();
    expect(resolved).toMatchObject({
      collectionName: 'monque_jobs',
      pollInterval: 1000,
      maxRetries: 10,
      baseRetryInterval: 1000,
      shutdownTimeout: 30_000,
      defaultConcurrency: 5,
      lockTimeout: 1_800_000,
      recoverStaleJobs: true,
      maxStalls: 1,
      changeStreamWakeups: true,
      heartbeatInterval: 30_000,
      staleCheckInterval: 60_000,
    });
    expect(resolved.clock).toBe(systemClock);
    expect(resolved.instanceId.startsWith(`${hostname()}:${process.pid}:`)).toBe(true);
    const { retention, ...plainDefaults } = DEFAULT_OPTIONS;
    expect(resolveOptions({})).toMatchObject({ ...plainDefaults, retention });
    expect(resolveOptions(undefined).pollInterval).toBe(DEFAULT_OPTIONS.pollInterval);
  });

  it('gives each instance its own default id', () => {
    expect(resolveOptions().instanceId).not.toBe(resolveOptions().instanceId);
  });

  it('derives heartbeat and stale-check intervals from a short lockTimeout', () => {
    const resolved = resolveOptions({ lockTimeout: 8000 });
    expect(resolved.heartbeatInterval).toBe(2000);
    expect(resolved.staleCheckInterval).toBe(4000);
  });

  it('keeps every valid value given', () => {
    const clock: Clock = { now: () => new Date(0) };
    const given = {
      collectionName: 'my_jobs',
      pollInterval: 250,
      maxRetries: 0,
      baseRetryInterval: 0,
      shutdownTimeout: 0,
      defaultConcurrency: 1,
      lockTimeout: 10_000,
      recoverStaleJobs: false,
      maxStalls: 0,
      heartbeatInterval: 1_000,
      staleCheckInterval: 5_000,
      changeStreamWakeups: false,
      instanceId: 'worker-7',
      clock,
    };
    expect(resolveOptions(given)).toMatchObject(given);
  });

  it('accepts the largest timer value and fractional intervals', () => {
    expect(resolveOptions({ pollInterval: MAX_TIMER_MS }).pollInterval).toBe(MAX_TIMER_MS);
    expect(resolveOptions({ pollInterval: 1.5 }).pollInterval).toBe(1.5);
    expect(resolveOptions({ baseRetryInterval: 0.5 }).baseRetryInterval).toBe(0.5);
  });
});

describe('resolveOptions rejects', () => {
  const numeric = ['pollInterval', 'baseRetryInterval', 'shutdownTimeout', 'lockTimeout', 'maxRetries'] as const;

  it.each(
    numeric.flatMap((key) =>
      [-1, Number.NaN, Number.POSITIVE_INFINITY, '100', null, true, MAX_TIMER_MS + 1].map((value) => ({ key, value })),
    ),
  )('$key = $value', ({ key, value }) => {
    const error = rejection({ [key]: value });
    expect(error.argument).toBe(`options.${key}`);
    expect(error.message).toMatch(
      new RegExp(`^options\\.${key}: expected (an integer|a number) from \\d+ to ${MAX_TIMER_MS}, got `),
    );
  });

  it.each([
    ['defaultConcurrency', 1.5, 'expected an integer from 1'],
    ['defaultConcurrency', 0, 'got 0'],
    ['defaultConcurrency', '5', "got '5'"],
    ['maxRetries', 2.5, 'expected an integer from 0'],
    ['maxStalls', 1.5, 'expected an integer from 0'],
    ['maxStalls', -1, 'got -1'],
    ['maxStalls', '1', "got '1'"],
    ['pollInterval', 0, 'expected a number from 1'],
    ['lockTimeout', 0, 'expected a number from 1'],
    ['heartbeatInterval', 0, 'expected a number from 1'],
    ['staleCheckInterval', -5, 'got -5'],
    ['pollInterval', Number.NaN, 'got NaN'],
    ['baseRetryInterval', undefined, ''],
  ] as const)('%s = %j (%s)', (key, value, text) => {
    if (value === undefined) {
      // undefined means "use the default", never an error.
      expect(resolveOptions({ [key]: value })[key]).toBe(DEFAULT_OPTIONS.baseRetryInterval);
      return;
    }
    const error = rejection({ [key]: value });
    expect(error.argument).toBe(`options.${key}`);
    expect(error.message).toContain(text);
  });

  it('shortens a long string value in the message', () => {
    const error = rejection({ pollInterval: 'x'.repeat(100) });
    expect(error.message).toContain(`got '${'x'.repeat(40)}…'`);
    expect(error.message).not.toContain('x'.repeat(41));
  });

  it('a heartbeat that is not shorter than the lock timeout', () => {
    const error = rejection({ lockTimeout: 1000, heartbeatInterval: 1000 });
    expect(error.argument).toBe('options.heartbeatInterval');
    expect(error.message).toContain('must be shorter than lockTimeout (1000)');
  });

  it.each([
    ['recoverStaleJobs', 'yes'],
    ['recoverStaleJobs', 1],
    ['changeStreamWakeups', null],
  ])('%s = %j (not a boolean)', (key, value) => {
    const error = rejection({ [key]: value });
    expect(error.argument).toBe(`options.${key}`);
    expect(error.message).toContain('expected a boolean');
  });

  it.each([[''], [42]])('instanceId = %j', (value) => {
    const error = rejection({ instanceId: value });
    expect(error.argument).toBe('options.instanceId');
    expect(error.message).toContain('expected a non-empty string');
  });

  it.each([[{}], [null], [() => new Date()], [{ now: 'soon' }]])('clock = %j', (value) => {
    const error = rejection({ clock: value });
    expect(error.argument).toBe('options.clock');
    expect(error.message).toContain('expected an object with a now() method');
  });

  it.each([
    ['', 'expected a non-empty string'],
    [7, 'expected a non-empty string'],
    ['jobs$x', 'is not a valid collection name'],
    ['system.jobs', 'is not a valid collection name'],
    ['nul\0name', 'is not a valid collection name'],
    ['x'.repeat(121), 'is not a valid collection name'],
  ])('collectionName = %j', (value, text) => {
    const error = rejection({ collectionName: value });
    expect(error.argument).toBe('options.collectionName');
    expect(error.message).toContain(text);
  });

  it('accepts a 120-character collection name', () => {
    expect(checkCollectionName('x'.repeat(120), 'name')).toBe('x'.repeat(120));
  });

  it.each([[null], ['fast'], [[]], [42], [new Date()]])('options = %j (not a plain object)', (value) => {
    const error = rejection(value);
    expect(error.argument).toBe('options');
    expect(error.message).toContain('expected an object');
  });

  it.each([
    ['pollintervall', "did you mean 'pollInterval'"],
    ['maxretries', "did you mean 'maxRetries'"],
    ['concurrency', "did you mean 'defaultConcurrency'"],
    ['retries', "did you mean 'maxRetries'"],
    ['zzzzzzzz', 'known options: collectionName, pollInterval'],
  ])('the unknown option %s', (key, hint) => {
    const error = rejection({ [key]: 1 });
    expect(error.argument).toBe(`options.${key}`);
    expect(error.message).toContain('unknown option');
    if (hint) expect(error.message).toContain(hint);
    else expect(error.message).not.toContain('did you mean');
  });
});
