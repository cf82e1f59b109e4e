/**
 * Defaults and validation of {@link MonqueOptions}.
 */
import { hostname } from 'node:os';
import { systemClock } from './clock.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import type { Clock, Logger, MonqueOptions, RetentionOptions, TelemetryOptions } from './monque-options.js';
import { suggestOption } from './suggest.js';
import { checkDataPath, describeValue, isPlainObject } from './validation.js';

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
  readonly maxStalls: number;
  readonly heartbeatInterval: number;
  readonly staleCheckInterval: number;
  readonly changeStreamWakeups: boolean;
  readonly instanceId: string;
  readonly clock: Clock;
  /** `Infinity` when unlimited. */
  readonly instanceConcurrency: number;
  readonly maxBackoffDelay: number;
  /** `false`: keep every job. */
  readonly retention: ResolvedRetention | false;
  readonly dataIndexes: readonly string[];
  readonly logger: Logger;
  /** `false`: off. */
  readonly telemetry: TelemetryOptions | false;
  readonly operationTimeout: number;
  /** `Infinity`: locks are judged by watching alone. */
  readonly clockSkewTolerance: number;
}

/** Retention with defaults applied; `Infinity` keeps jobs of that status. */
export interface ResolvedRetention {
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly sweepInterval: number;
}

const DAY = 24 * 60 * 60 * 1000;

/** The logger used when none is given: says nothing. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

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
  maxStalls: 1,
  changeStreamWakeups: true,
  maxBackoffDelay: 365 * DAY,
  operationTimeout: 30_000,
  clockSkewTolerance: 60_000,
  retention: { completed: DAY, failed: 7 * DAY, cancelled: 7 * DAY, sweepInterval: 60_000 },
} as const;

/**
 * The names of every {@link MonqueOptions} key the constructor accepts (any other key is rejected,
 * with a "did you mean" hint). Integrations that add options of their own check against these.
 */
export const KNOWN_OPTIONS: readonly (keyof MonqueOptions)[] = [
  'collectionName',
  'pollInterval',
  'maxRetries',
  'baseRetryInterval',
  'shutdownTimeout',
  'defaultConcurrency',
  'lockTimeout',
  'recoverStaleJobs',
  'maxStalls',
  'heartbeatInterval',
  'staleCheckInterval',
  'changeStreamWakeups',
  'instanceId',
  'clock',
  'instanceConcurrency',
  'maxBackoffDelay',
  'retention',
  'dataIndexes',
  'logger',
  'telemetry',
  'operationTimeout',
  'clockSkewTolerance',
];

/** setTimeout cannot wait longer than this (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

function checkNumber(
  options: Record<string, unknown>,
  key: string,
  {
    min,
    integer,
    fallback,
    label,
    max = MAX_TIMER_MS,
  }: { min: number; integer: boolean; fallback: number; label?: string; max?: number },
): number {
  const value = options[key];
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    value <= max &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    const kind = integer ? 'an integer' : 'a number';
    throw new InvalidArgumentError(
      label ?? `options.${key}`,
      `expected ${kind} from ${min} to ${max}, got ${describeValue(value)}`,
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

function checkRetention(value: unknown): ResolvedRetention | false {
  if (value === false) return false;
  const defaults = DEFAULT_OPTIONS.retention;
  if (value === undefined) return defaults;
  if (!isPlainObject(value)) {
    throw new InvalidArgumentError('options.retention', `expected an object or false, got ${describeValue(value)}`);
  }
  const known = ['completed', 'failed', 'cancelled', 'sweepInterval'] as const;
  for (const key of Object.keys(value)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`options.retention.${key}`, `unknown option${suggestOption(key, known)}`);
    }
  }
  const period = (key: 'completed' | 'failed' | 'cancelled'): number => {
    const given = value[key];
    if (given === undefined) return defaults[key];
    if (typeof given !== 'number' || Number.isNaN(given) || given < 0) {
      throw new InvalidArgumentError(
        `options.retention.${key}`,
        `expected ms from 0 (or Infinity to keep), got ${describeValue(given)}`,
      );
    }
    return given;
  };
  const retention: RetentionOptions = value;
  return {
    completed: period('completed'),
    failed: period('failed'),
    cancelled: period('cancelled'),
    sweepInterval: checkNumber(retention as Record<string, unknown>, 'sweepInterval', {
      min: 1,
      integer: false,
      fallback: defaults.sweepInterval,
      label: 'options.retention.sweepInterval',
    }),
  };
}

function checkLogger(value: unknown): Logger {
  if (value === undefined) return silentLogger;
  const methods = ['debug', 'info', 'warn', 'error'] as const;
  if (typeof value !== 'object' || value === null || methods.some((m) => typeof (value as Logger)[m] !== 'function')) {
    throw new InvalidArgumentError(
      'options.logger',
      `expected an object with debug, info, warn and error methods (console fits), got ${describeValue(value)}`,
    );
  }
  const logger = value as Logger;
  // Bound, so loggers whose methods use `this` (pino, console) work when called detached.
  return {
    debug: logger.debug.bind(logger),
    info: logger.info.bind(logger),
    warn: logger.warn.bind(logger),
    error: logger.error.bind(logger),
  };
}

function checkDataIndexes(value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError('options.dataIndexes', `expected an array of paths, got ${describeValue(value)}`);
  }
  return value.map((path, index) => checkDataPath(path, `options.dataIndexes[${index}]`));
}

function checkTelemetry(value: unknown): TelemetryOptions | false {
  if (value === undefined || value === true) return {};
  if (value === false) return false;
  if (!isPlainObject(value)) {
    throw new InvalidArgumentError(
      'options.telemetry',
      `expected a boolean or { tracerProvider?, meterProvider? }, got ${describeValue(value)}`,
    );
  }
  for (const key of Object.keys(value)) {
    if (key !== 'tracerProvider' && key !== 'meterProvider') {
      throw new InvalidArgumentError(
        `options.telemetry.${key}`,
        `unknown option${suggestOption(key, ['tracerProvider', 'meterProvider'])}`,
      );
    }
  }
  return value as TelemetryOptions;
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
      throw new InvalidArgumentError(`options.${key}`, `unknown option${suggestOption(key, KNOWN_OPTIONS)}`);
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
  const instanceConcurrency =
    options.instanceConcurrency === undefined
      ? Number.POSITIVE_INFINITY
      : checkNumber(options, 'instanceConcurrency', { min: 1, integer: true, fallback: 0 });
  const maxBackoffDelay = checkNumber(options, 'maxBackoffDelay', {
    min: 0,
    integer: false,
    fallback: DEFAULT_OPTIONS.maxBackoffDelay,
    max: Number.MAX_SAFE_INTEGER,
  });
  const maxStalls = checkNumber(options, 'maxStalls', {
    min: 0,
    integer: true,
    fallback: DEFAULT_OPTIONS.maxStalls,
    max: Number.MAX_SAFE_INTEGER,
  });
  const operationTimeout = checkNumber(options, 'operationTimeout', {
    min: 1,
    integer: false,
    fallback: DEFAULT_OPTIONS.operationTimeout,
  });
  const skew = options.clockSkewTolerance;
  const clockSkewTolerance =
    skew === Number.POSITIVE_INFINITY
      ? skew
      : checkNumber(options, 'clockSkewTolerance', {
          min: 0,
          integer: false,
          fallback: DEFAULT_OPTIONS.clockSkewTolerance,
          max: Number.MAX_SAFE_INTEGER,
        });
  return {
    collectionName,
    pollInterval,
    maxRetries,
    baseRetryInterval,
    shutdownTimeout,
    defaultConcurrency,
    lockTimeout,
    recoverStaleJobs: (options.recoverStaleJobs as boolean | undefined) ?? DEFAULT_OPTIONS.recoverStaleJobs,
    maxStalls,
    heartbeatInterval,
    staleCheckInterval,
    changeStreamWakeups: (options.changeStreamWakeups as boolean | undefined) ?? DEFAULT_OPTIONS.changeStreamWakeups,
    instanceId:
      (options.instanceId as string | undefined) ??
      `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`,
    clock: clock ?? systemClock,
    instanceConcurrency,
    maxBackoffDelay,
    retention: checkRetention(options.retention),
    dataIndexes: checkDataIndexes(options.dataIndexes),
    logger: checkLogger(options.logger),
    telemetry: checkTelemetry(options.telemetry),
    operationTimeout,
    clockSkewTolerance,
  };
}
