/**
 * Defaults and validation of {@link MonqueOptions}.
 */
import { hostname } from 'node:os';
import { systemClock } from './clock.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import type { Clock, MonqueOptions } from './types.js';
import { describeValue, isPlainObject } from './validation.js';

/** {@link MonqueOptions} with every default applied. */
export interface ResolvedMonqueOptions {
  readonly collectionName: string;
  readonly pollInterval: number;
  readonly maxRetries: number;
  readonly baseRetryInterval: number;
  readonly shutdownTimeout: number;
  readonly defaultConcurrency: number;
  readonly lockTimeout: number;
  readonly recoverStaleJobs: boolean;
  readonly heartbeatInterval: number;
  readonly staleCheckInterval: number;
  readonly changeStreamWakeups: boolean;
  readonly instanceId: string;
  readonly clock: Clock;
}

/** The documented defaults. */
export const DEFAULT_OPTIONS = {
  collectionName: 'monque_jobs',
  pollInterval: 1000,
  maxRetries: 10,
  baseRetryInterval: 1000,
  shutdownTimeout: 30_000,
  defaultConcurrency: 5,
  lockTimeout: 30 * 60 * 1000,
  recoverStaleJobs: true,
  changeStreamWakeups: true,
} as const;

const KNOWN_OPTIONS = [
  'collectionName',
  'pollInterval',
  'maxRetries',
  'baseRetryInterval',
  'shutdownTimeout',
  'defaultConcurrency',
  'lockTimeout',
  'recoverStaleJobs',
  'heartbeatInterval',
  'staleCheckInterval',
  'changeStreamWakeups',
  'instanceId',
  'clock',
] as const;

/** setTimeout cannot wait longer than this (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

function checkNumber(
  options: Record<string, unknown>,
  key: string,
  { min, integer, fallback }: { min: number; integer: boolean; fallback: number },
): number {
  const value = options[key];
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    value <= MAX_TIMER_MS &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    const kind = integer ? 'an integer' : 'a number';
    throw new InvalidArgumentError(
      `options.${key}`,
      `expected ${kind} from ${min} to ${MAX_TIMER_MS}, got ${describeValue(value)}`,
    );
  }
  return value as number;
}

/** Checks that a collection name is one MongoDB accepts. */
export function checkCollectionName(value: unknown, argument: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgumentError(argument, `expected a non-empty string, got ${describeValue(value)}`);
  }
  if (value.includes('$') || value.includes('\0') || value.startsWith('system.') || value.length > 120) {
    throw new InvalidArgumentError(
      argument,
      `'${value}' is not a valid collection name (no '$' or NUL, not 'system.*', at most 120 characters)`,
    );
  }
  return value;
}

function suggest(key: string): string {
  const lower = key.toLowerCase();
  const close = KNOWN_OPTIONS.find((known) => known.toLowerCase() === lower || lower.startsWith(known.toLowerCase()));
  return close ? ` (did you mean '${close}'?)` : '';
}

/**
 * Applies defaults and rejects anything invalid, naming the option and the value.
 * @throws InvalidArgumentError
 */
export function resolveOptions(options: unknown = {}): ResolvedMonqueOptions {
  if (!isPlainObject(options)) {
    throw new InvalidArgumentError('options', `expected an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!(KNOWN_OPTIONS as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`options.${key}`, `unknown option${suggest(key)}`);
    }
  }
  const collectionName =
    options.collectionName === undefined
      ? DEFAULT_OPTIONS.collectionName
      : checkCollectionName(options.collectionName, 'options.collectionName');
  const pollInterval = checkNumber(options, 'pollInterval', {
    min: 1,
    integer: false,
    fallback: DEFAULT_OPTIONS.pollInterval,
  });
  const maxRetries = checkNumber(options, 'maxRetries', {
    min: 0,
    integer: true,
    fallback: DEFAULT_OPTIONS.maxRetries,
  });
  const baseRetryInterval = checkNumber(options, 'baseRetryInterval', {
    min: 0,
    integer: false,
    fallback: DEFAULT_OPTIONS.baseRetryInterval,
  });
  const shutdownTimeout = checkNumber(options, 'shutdownTimeout', {
    min: 0,
    integer: false,
    fallback: DEFAULT_OPTIONS.shutdownTimeout,
  });
  const defaultConcurrency = checkNumber(options, 'defaultConcurrency', {
    min: 1,
    integer: true,
    fallback: DEFAULT_OPTIONS.defaultConcurrency,
  });
  const lockTimeout = checkNumber(options, 'lockTimeout', {
    min: 1,
    integer: false,
    fallback: DEFAULT_OPTIONS.lockTimeout,
  });
  const heartbeatInterval = checkNumber(options, 'heartbeatInterval', {
    min: 1,
    integer: false,
    fallback: Math.min(lockTimeout / 4, 30_000),
  });
  if (heartbeatInterval >= lockTimeout) {
    throw new InvalidArgumentError(
      'options.heartbeatInterval',
      `must be shorter than lockTimeout (${lockTimeout}), got ${heartbeatInterval}: locks would expire between heartbeats`,
    );
  }
  const staleCheckInterval = checkNumber(options, 'staleCheckInterval', {
    min: 1,
    integer: false,
    fallback: Math.min(lockTimeout / 2, 60_000),
  });
  for (const key of ['recoverStaleJobs', 'changeStreamWakeups'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      throw new InvalidArgumentError(`options.${key}`, `expected a boolean, got ${describeValue(options[key])}`);
    }
  }
  if (options.instanceId !== undefined && (typeof options.instanceId !== 'string' || options.instanceId === '')) {
    throw new InvalidArgumentError(
      'options.instanceId',
      `expected a non-empty string, got ${describeValue(options.instanceId)}`,
    );
  }
  const clock = options.clock as Clock | undefined;
  if (clock !== undefined && (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function')) {
    throw new InvalidArgumentError(
      'options.clock',
      `expected an object with a now() method, got ${describeValue(clock)}`,
    );
  }
  return {
    collectionName,
    pollInterval,
    maxRetries,
    baseRetryInterval,
    shutdownTimeout,
    defaultConcurrency,
    lockTimeout,
    recoverStaleJobs: (options.recoverStaleJobs as boolean | undefined) ?? DEFAULT_OPTIONS.recoverStaleJobs,
    heartbeatInterval,
    staleCheckInterval,
    changeStreamWakeups: (options.changeStreamWakeups as boolean | undefined) ?? DEFAULT_OPTIONS.changeStreamWakeups,
    instanceId:
      (options.instanceId as string | undefined) ??
      `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`,
    clock: clock ?? systemClock,
  };
}
