/**
 * Turns what Monque returns into plain JSON: ids become their hex strings, dates ISO 8601 strings,
 * other BSON values (Long, Decimal128, Binary …) their text. Works with any copy of the driver
 * (values are recognised by their `_bsontype`, not by class).
 */

import { recordOf } from '../shared/own-record.js';

/** A JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const MAX_DEPTH = 64;

function bsonToJson(value: { _bsontype: string } & Record<string, unknown>): Json {
  switch (value._bsontype) {
    case 'ObjectId':
    case 'ObjectID':
      return (value as unknown as { toHexString(): string }).toHexString();
    case 'Binary': {
      const length = (value as unknown as { length(): number }).length?.() ?? 0;
      return `<binary, ${length} bytes>`;
    }
    case 'Double':
    case 'Int32':
      return Number((value as unknown as { valueOf(): number }).valueOf());
    default:
      return String(value);
  }
}

/** Converts a value (a job, a page of jobs, stats …) into JSON-safe data. */
export function toJson(value: unknown, depth = 0): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value !== 'object') return null;
  if (depth >= MAX_DEPTH) return '<nested too deeply>';
  if (typeof (value as { _bsontype?: unknown })._bsontype === 'string') {
    return bsonToJson(value as { _bsontype: string } & Record<string, unknown>);
  }
  if (Array.isArray(value)) return value.map((item) => toJson(item, depth + 1));
  if (value instanceof RegExp) return String(value);
  // From entries: a key named `__proto__` (job data may hold one) stays a key (see own-record.ts).
  const entries: [string, Json][] = [];
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || typeof item === 'function') continue;
    entries.push([key, toJson(item, depth + 1)]);
  }
  return recordOf(entries);
}
