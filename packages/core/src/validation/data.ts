/**
 * Job payloads (and handler results): stored exactly as given, or refused with the path at fault.
 *
 * Refused, because BSON would store something else than what was given: functions and symbols
 * (dropped), `bigint` (wraps around past 2^63 and comes back as a number), `Map`, `Set`, `URL`,
 * `Error` and other class instances (stored as `{}` or as their enumerable fields only), typed
 * arrays other than `Uint8Array`/`Buffer`, keys starting with `$` or holding a NUL, circular
 * structures, invalid dates, and anything over the size limit.
 *
 * Accepted, with one documented change each: `undefined` properties are stored as `null` (BSON has
 * no undefined), and a `Buffer`/`Uint8Array` comes back as a BSON `Binary`. Values with a
 * `toBSON()` method (e.g. Mongoose documents) and BSON types (`ObjectId`, `Decimal128`, …) are
 * stored as their driver serialises them.
 */
import { BSON } from 'mongodb';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/** MongoDB's document limit minus room for the job's own fields. */
export const MAX_DATA_BYTES = 16 * 1024 * 1024 - 16 * 1024;

const BSON_VERSION = Symbol.for('@@mdb.bson.version');

/** Why a value would not come back unchanged, or `undefined`. */
function findUnstorable(value: unknown, path: string, seen: Set<object>, bsonVersion?: unknown): string | undefined {
  switch (typeof value) {
    case 'function':
      return `${path} is a function (BSON drops functions)`;
    case 'symbol':
      return `${path} is a symbol (BSON cannot store it)`;
    case 'bigint':
      return `${path} is a bigint (BSON stores 64-bit integers and returns them as numbers; store it as a string)`;
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? `${path} is an invalid Date` : undefined;
  if ('_bsontype' in value) {
    const version = (value as Record<symbol, unknown>)[BSON_VERSION];
    if (bsonVersion === undefined || version === undefined || version === bsonVersion) return undefined;
    return `${path} is a BSON ${String((value as { _bsontype: unknown })._bsontype)} of another copy of the driver (BSON ${String(version)}; this database's driver uses BSON ${String(bsonVersion)}): create it with the driver your Db comes from (e.g. mongoose.Types.ObjectId when the connection is Mongoose's)`;
  }
  if (typeof (value as { toBSON?: unknown }).toBSON === 'function') return undefined;
  if (value instanceof RegExp || value instanceof Uint8Array) return undefined;
  if (ArrayBuffer.isView(value)) {
    return `${path} is a ${value.constructor.name} (only Buffer/Uint8Array binary data is stored as given)`;
  }
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    const kind = (value as object).constructor?.name ?? 'class instance';
    return `${path} is a ${kind} (BSON stores only its enumerable fields: pass a plain object, an array, or a string)`;
  }
  if (seen.has(value)) return `${path} refers back to itself (circular structure)`;
  seen.add(value);
  for (const [key, child] of Object.entries(value)) {
    if (key.includes('\0')) return `${path} has a key with a NUL character`;
    if (key.startsWith('$') && !Array.isArray(value)) return `${path} has a key starting with '$' ('${key}')`;
    const problem = findUnstorable(
      child,
      Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`,
      seen,
      bsonVersion,
    );
    if (problem) return problem;
  }
  seen.delete(value);
  return undefined;
}

/**
 * The BSON size of `{ value }`, or `undefined` when this copy of the BSON library cannot measure it
 * (values created by another major version of the driver, e.g. Mongoose's own copy); the driver
 * that writes the document enforces the size limit then.
 */
export function bsonSize(value: unknown): number | undefined {
  try {
    return BSON.calculateObjectSize({ value }, { ignoreUndefined: false });
  } catch (error) {
    if (error instanceof Error && error.name === 'BSONVersionError') return undefined;
    throw error;
  }
}

/**
 * Why `value` cannot be stored as given (path named), or `undefined` when it can.
 * @param maxBytes - the size limit of its BSON form
 * @param bsonVersion - the BSON major version of the driver that writes it (BSON values of another
 *   copy are refused by it); unchecked when `undefined`
 */
export function unstorableReason(
  value: unknown,
  argument: string,
  maxBytes = MAX_DATA_BYTES,
  bsonVersion?: unknown,
): string | undefined {
  const problem = findUnstorable(value, argument, new Set(), bsonVersion);
  if (problem) return `cannot be stored in MongoDB as given: ${problem}`;
  const size = bsonSize(value);
  if (size !== undefined && size > maxBytes) return `is ${size} bytes as BSON; the limit is ${maxBytes} bytes`;
  return undefined;
}

/** Job data: stored as given, within the size limit. @throws InvalidArgumentError naming the path */
export function checkData(data: unknown, argument = 'data', bsonVersion?: unknown): void {
  const problem = unstorableReason(data, argument, MAX_DATA_BYTES, bsonVersion);
  if (problem) throw new InvalidArgumentError(argument, problem);
}
