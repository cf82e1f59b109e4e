/**
 * Checks of public input shared by every method. Each check throws an {@link InvalidArgumentError}
 * that names the argument and says what was wrong; callers run them before any write. Payloads are
 * checked in `validation/data.ts`, per-job options in `validation/job-options.ts`.
 */
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { suggestOption } from './suggest.js';

/** Longest accepted job name or unique key. */
export const MAX_NAME_LENGTH = 512;

/** A short description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'bigint') return `bigint ${value}n`;
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : `Date ${value.toISOString()}`;
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.some((key) => key.startsWith('$'))) return `a query operator object ({ ${keys.join(', ')} })`;
    const name = (value as object).constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
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

/** A path inside job data, dotted for nested fields (`customer.id`): no empty part, no `$`. */
export function checkDataPath(value: unknown, argument: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError(argument, `expected a path such as 'customer.id', got ${describeValue(value)}`);
  }
  const parts = value.split('.');
  if (parts.some((part) => part === '' || part.startsWith('$') || part.includes('\0')) || value.length > 200) {
    throw new InvalidArgumentError(
      argument,
      `'${value}' is not a data path (dot-separated field names, none empty or starting with '$')`,
    );
  }
  return value;
}

/** Options objects: `undefined` or a plain object whose keys are all known. */
export function checkOptionsObject(
  options: unknown,
  argument: string,
  known: readonly string[],
): Record<string, unknown> {
  if (options === undefined) return {};
  if (!isPlainObject(options)) {
    throw new InvalidArgumentError(argument, `expected an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(`${argument}.${key}`, `unknown option${suggestOption(key, known)}`);
    }
  }
  return options;
}

/** A valid `Date`. */
export function checkDate(value: unknown, argument: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new InvalidArgumentError(argument, `expected a valid Date, got ${describeValue(value)}`);
  }
  return value;
}

/** A number within bounds (integers only when `integer`). */
export function checkNumberIn(
  value: unknown,
  argument: string,
  { min, max, integer = false }: { min: number; max: number; integer?: boolean },
): number {
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    value >= min &&
    value <= max &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    throw new InvalidArgumentError(
      argument,
      `expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${describeValue(value)}`,
    );
  }
  return value as number;
}
