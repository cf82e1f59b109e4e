/**
 * Checks of public input. Each check throws an {@link InvalidArgumentError} that names the
 * argument and says what was wrong; callers run them before any write.
 */
import { BSON } from 'mongodb';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import type { EnqueueOptions, ScheduleOptions, WorkerOptions } from './types.js';

/** MongoDB's document limit minus room for the job's own fields. */
export const MAX_DATA_BYTES = 16 * 1024 * 1024 - 16 * 1024;
/** Longest accepted job name or unique key. */
export const MAX_NAME_LENGTH = 512;

/** A short description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : `Date ${value.toISOString()}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** `true` for `{}`-like objects (not arrays, dates or class instances other than Object). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A job name or key: a non-empty string of limited length, never an object (no query operators). */
export function checkName(value: unknown, argument = 'name'): string {
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(argument, `expected a non-empty string, got ${describeValue(value)}`);
  }
  if (value.trim().length === 0) throw new InvalidArgumentError(argument, 'must not be empty or blank');
  if (value.length > MAX_NAME_LENGTH) {
    throw new InvalidArgumentError(argument, `must be at most ${MAX_NAME_LENGTH} characters, got ${value.length}`);
  }
  if (value.includes('\0')) throw new InvalidArgumentError(argument, 'must not contain a NUL character');
  return value;
}

function findUnstorable(value: unknown, path: string, seen: Set<object>): string | undefined {
  if (typeof value === 'function') return `${path} is a function`;
  if (typeof value === 'symbol') return `${path} is a symbol`;
  if (typeof value === 'number' && !Number.isFinite(value) && !Number.isNaN(value)) return undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? `${path} is an invalid Date` : undefined;
  if ('_bsontype' in value || ArrayBuffer.isView(value) || value instanceof RegExp) return undefined;
  if (value instanceof Map || value instanceof Set)
    return `${path} is a ${value.constructor.name} (BSON cannot store it; use an object or array)`;
  if (seen.has(value)) return `${path} refers back to itself (circular structure)`;
  seen.add(value);
  for (const [key, child] of Object.entries(value)) {
    if (key.includes('\0')) return `${path} has a key with a NUL character`;
    const problem = findUnstorable(child, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`, seen);
    if (problem) return problem;
  }
  seen.delete(value);
  return undefined;
}

/**
 * The BSON size of `{ data }`, or `undefined` when this copy of the BSON library cannot measure it
 * (values created by another major version of the driver, e.g. Mongoose's own copy); the driver
 * that writes the document enforces the size limit then.
 */
function bsonSize(data: unknown): number | undefined {
  try {
    return BSON.calculateObjectSize({ data }, { ignoreUndefined: false });
  } catch (error) {
    if (error instanceof Error && error.name === 'BSONVersionError') return undefined;
    throw error;
  }
}

/** Job data: anything BSON can store, within the document size limit. */
export function checkData(data: unknown, argument = 'data'): void {
  const problem = findUnstorable(data, argument, new Set());
  if (problem) throw new InvalidArgumentError(argument, `cannot be stored in MongoDB: ${problem}`);
  const size = bsonSize(data);
  if (size !== undefined && size > MAX_DATA_BYTES) {
    throw new InvalidArgumentError(argument, `is ${size} bytes as BSON; the limit is ${MAX_DATA_BYTES} bytes`);
  }
}

function checkOptionKeys(options: Record<string, unknown>, argument: string, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(`${argument}.${key}`, `unknown option (known: ${known.join(', ')})`);
    }
  }
}

function checkOptionsObject(options: unknown, argument: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (!isPlainObject(options)) {
    throw new InvalidArgumentError(argument, `expected an object, got ${describeValue(options)}`);
  }
  return options;
}

/** `enqueue` options. */
export function checkEnqueueOptions(options: unknown, argument = 'options'): EnqueueOptions {
  const checked = checkOptionsObject(options, argument);
  checkOptionKeys(checked, argument, ['runAt', 'uniqueKey']);
  const { runAt, uniqueKey } = checked;
  if (runAt !== undefined && !(runAt instanceof Date && !Number.isNaN(runAt.getTime()))) {
    throw new InvalidArgumentError(`${argument}.runAt`, `expected a valid Date, got ${describeValue(runAt)}`);
  }
  if (uniqueKey !== undefined) checkName(uniqueKey, `${argument}.uniqueKey`);
  return checked as EnqueueOptions;
}

/** `schedule` options (the time zone is checked by the caller against the cron library). */
export function checkScheduleOptions(options: unknown, argument = 'options'): ScheduleOptions {
  const checked = checkOptionsObject(options, argument);
  checkOptionKeys(checked, argument, ['uniqueKey', 'timezone']);
  if (checked.uniqueKey !== undefined) checkName(checked.uniqueKey, `${argument}.uniqueKey`);
  if (checked.timezone !== undefined) checkName(checked.timezone, `${argument}.timezone`);
  return checked as ScheduleOptions;
}

/** `unschedule` options. */
export function checkUnscheduleOptions(options: unknown, argument = 'options'): Pick<ScheduleOptions, 'uniqueKey'> {
  const checked = checkOptionsObject(options, argument);
  checkOptionKeys(checked, argument, ['uniqueKey']);
  if (checked.uniqueKey !== undefined) checkName(checked.uniqueKey, `${argument}.uniqueKey`);
  return checked as Pick<ScheduleOptions, 'uniqueKey'>;
}

/** `worker` options. */
export function checkWorkerOptions(options: unknown, argument = 'options'): WorkerOptions {
  const checked = checkOptionsObject(options, argument);
  checkOptionKeys(checked, argument, ['concurrency']);
  const { concurrency } = checked;
  if (
    concurrency !== undefined &&
    !(typeof concurrency === 'number' && Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 10_000)
  ) {
    throw new InvalidArgumentError(
      `${argument}.concurrency`,
      `expected an integer from 1 to 10000, got ${describeValue(concurrency)}`,
    );
  }
  return checked as WorkerOptions;
}
