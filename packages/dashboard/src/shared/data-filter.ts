/**
 * How a data filter typed as text (`customer.id=42` in a query string, on the command line or in
 * the dashboard's filter box) becomes a typed equality match. Shared by the server, the CLI and
 * the browser UI, so the three read a value the same way.
 *
 * Rules for the value:
 * - `42`, `-1.5`, `1e3` → a number; `true` / `false` → a boolean; `null` → null;
 * - `"42"` (in double quotes, JSON string syntax) → the text `42`: quotes force a string;
 * - text starting with `{` or `[` is refused: objects, arrays and operators are never matched;
 * - anything else → the text as written (`customer.name=Ada` → `'Ada'`).
 */

import { recordOf } from './own-record.js';

/** A scalar a data filter matches by equality. */
export type DataFilterValue = string | number | boolean | null;

/** What reading a filter gives: the value, or why it cannot be used. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const PATH_SEGMENT = /^[^$.][^.]*$/;

/** Reads the value half of `path=value` by the rules above. */
export function parseDataValue(text: string): ParseResult<DataFilterValue> {
  const trimmed = text.trim();
  if (trimmed === 'true') return { ok: true, value: true };
  if (trimmed === 'false') return { ok: true, value: false };
  if (trimmed === 'null') return { ok: true, value: null };
  if (NUMBER.test(trimmed)) {
    const value = Number(trimmed);
    if (Number.isFinite(value)) return { ok: true, value };
  }
  if (trimmed.startsWith('"')) {
    try {
      const value: unknown = JSON.parse(trimmed);
      if (typeof value === 'string') return { ok: true, value };
    } catch {
      // reported below
    }
    return { ok: false, error: `${text} is not a valid quoted string (use JSON syntax: "42")` };
  }
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    return {
      ok: false,
      error: `${text}: objects, arrays and query operators cannot be matched; quote the value to match it as text`,
    };
  }
  return { ok: true, value: text };
}

/** Checks a data path: dot-separated field names, none empty, none starting with `$`. */
export function checkDataPath(path: string): ParseResult<string> {
  if (path.length === 0) return { ok: false, error: 'the data path is empty' };
  if (path.length > 200) return { ok: false, error: 'the data path is longer than 200 characters' };
  for (const segment of path.split('.')) {
    if (!PATH_SEGMENT.test(segment) || segment.includes('\0')) {
      return {
        ok: false,
        error: `data path ${JSON.stringify(path)}: field names must be non-empty and must not start with $`,
      };
    }
  }
  return { ok: true, value: path };
}

/** Reads `path=value` (the CLI's `--data` and the UI's filter box; spaces around `=` are allowed). */
export function parseDataFilter(text: string): ParseResult<{ path: string; value: DataFilterValue }> {
  const at = text.indexOf('=');
  if (at < 0) return { ok: false, error: `${JSON.stringify(text)} is not path=value (e.g. customer.id=42)` };
  const path = checkDataPath(text.slice(0, at).trim());
  if (!path.ok) return path;
  const value = parseDataValue(text.slice(at + 1).trim());
  if (!value.ok) return value;
  return { ok: true, value: { path: path.value, value: value.value } };
}

/** Checks a value given as JSON (the bulk-action body): only scalars, never objects or operators. */
export function checkJsonDataValue(path: string, value: unknown): ParseResult<DataFilterValue> {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return { ok: true, value };
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value };
  return {
    ok: false,
    error: `data.${path}: only a string, a finite number, a boolean or null can be matched (objects and query operators are refused)`,
  };
}

/**
 * The data filters of one request or command line, collected one by one: a path given twice is
 * refused (neither the first nor the last may silently win), and any path is kept as given, even
 * one named like a member of every object (`__proto__`): see `own-record.ts`.
 */
export class DataFilters {
  private readonly fields = new Map<string, DataFilterValue>();

  /** Adds `path = value`; the reason it cannot be used when the path was given already. */
  add(path: string, value: DataFilterValue): ParseResult<string> {
    if (this.fields.has(path)) return { ok: false, error: `data path ${JSON.stringify(path)} is given twice` };
    this.fields.set(path, value);
    return { ok: true, value: path };
  }

  /** The filters as a `JobQuery`'s `data`, or `undefined` when there are none. */
  toQueryData(): Record<string, DataFilterValue> | undefined {
    return this.fields.size > 0 ? recordOf(this.fields) : undefined;
  }
}
