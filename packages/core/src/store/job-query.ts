/**
 * A user's {@link JobQuery} checked and turned into a MongoDB filter, and the opaque keyset cursors
 * of `getJobs`. Every value is matched by equality: an operator object (`{ $ne: null }`) where a
 * value is expected is refused, so a query can never select more than its author could see.
 *
 * Which index serves a filter (see `store/indexes.ts`):
 * - `name` (with or without `status`): `monque_list_name` `{name, status, _id: -1}`. Without a
 *   status the filter lists every status (`$in`), so the server merges the per-status ranges in
 *   `_id` order instead of sorting in memory;
 * - `status` alone: `monque_list_status` `{status, _id: -1}`;
 * - `group` alone (or with fields filtered while reading): `monque_list_group` `{group, _id: -1}`
 *   (partial on `group` existing, which the filter states);
 * - `data.<path>`: `monque_data_<path>` `{'data.<path>': 1, _id: -1}` when the path is declared in
 *   the `dataIndexes` option; otherwise the other fields' index, or a collection scan;
 * - `uniqueKey`, `createdAfter`, `createdBefore`, `finishedBefore`: filtered while reading the index
 *   the other fields chose (combine them with a name or status on large collections);
 * - nothing: the `_id` index.
 */
import type { Filter, ObjectId } from 'mongodb';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { JOB_STATUSES, type JobStatusType } from '../job.js';
import type { DataFieldValue, JobPage, JobQuery } from '../queries.js';
import { suggestOption } from '../suggest.js';
import { checkGroup } from '../validation/job-options.js';
import { checkDataPath, checkDate, checkName, checkNumberIn, describeValue, isPlainObject } from '../validation.js';
import type { JobDocument } from './job-document.js';
import type { ObjectIds } from './object-ids.js';

/** Jobs per `getJobs` page unless `page.limit` says otherwise. */
export const DEFAULT_PAGE_LIMIT = 50;
/** Most jobs per `getJobs` page. */
export const MAX_PAGE_LIMIT = 1000;
/** Most `query.data` fields in one query. */
export const MAX_DATA_FIELDS = 20;

const QUERY_KEYS = [
  'name',
  'status',
  'uniqueKey',
  'group',
  'data',
  'createdAfter',
  'createdBefore',
  'finishedBefore',
] as const satisfies readonly (keyof JobQuery)[];

/** A checked query: every field present is valid, arrays are non-empty. */
export interface CheckedQuery {
  readonly names?: readonly string[];
  readonly statuses?: readonly JobStatusType[];
  readonly uniqueKey?: string;
  readonly group?: string;
  /** `[path inside data, value]` pairs. */
  readonly data?: readonly (readonly [string, DataFieldValue])[];
  readonly createdAfter?: Date;
  readonly createdBefore?: Date;
  readonly finishedBefore?: Date;
}

/** A checked page: its size, and the id the page starts after (newest first). */
export interface CheckedPage {
  readonly limit: number;
  readonly after?: ObjectId;
}

function oneOrMany<T>(value: unknown, argument: string, check: (item: unknown, argument: string) => T): T[] {
  if (!Array.isArray(value)) return [check(value, argument)];
  if (value.length === 0) throw new InvalidArgumentError(argument, 'must not be an empty array (omit it to match any)');
  return value.map((item, index) => check(item, `${argument}[${index}]`));
}

function checkStatus(value: unknown, argument: string): JobStatusType {
  if (typeof value !== 'string' || !(JOB_STATUSES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(argument, `expected one of ${JOB_STATUSES.join(', ')}, got ${describeValue(value)}`);
  }
  return value as JobStatusType;
}

function checkDataValue(value: unknown, argument: string): DataFieldValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && !Number.isNaN(value)) return value;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  throw new InvalidArgumentError(
    argument,
    `expected a string, number, boolean, null or Date to match by equality, got ${describeValue(value)}`,
  );
}

function checkDataFields(value: unknown, argument: string): [string, DataFieldValue][] {
  if (!isPlainObject(value)) {
    throw new InvalidArgumentError(argument, `expected { 'path.in.data': value }, got ${describeValue(value)}`);
  }
  const entries = Object.entries(value).filter(([, field]) => field !== undefined);
  if (entries.length > MAX_DATA_FIELDS) {
    throw new InvalidArgumentError(argument, `at most ${MAX_DATA_FIELDS} fields, got ${entries.length}`);
  }
  return entries.map(([path, field]) => {
    checkDataPath(path, `${argument}.${path}`);
    return [path, checkDataValue(field, `${argument}.${path}`)];
  });
}

/**
 * Checks a query given to an operations method. `undefined` is the empty query (every job) unless
 * `required`; keys whose value is `undefined` are ignored.
 *
 * @param argument - the name used in errors (`'query'`)
 * @throws InvalidArgumentError naming the field at fault (`query.status[1]`, `query.data.customer.id` …)
 */
export function checkJobQuery(query: unknown, argument = 'query', required = false): CheckedQuery {
  if (query === undefined && !required) return {};
  if (!isPlainObject(query)) {
    const hint = query === undefined ? ' (pass {} to select every job)' : '';
    throw new InvalidArgumentError(argument, `expected a query object${hint}, got ${describeValue(query)}`);
  }
  for (const key of Object.keys(query)) {
    if (!(QUERY_KEYS as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`${argument}.${key}`, `unknown query field${suggestOption(key, QUERY_KEYS)}`);
    }
  }
  const checked: {
    -readonly [K in keyof CheckedQuery]: CheckedQuery[K];
  } = {};
  if (query.name !== undefined) checked.names = oneOrMany(query.name, `${argument}.name`, checkName);
  if (query.status !== undefined) checked.statuses = oneOrMany(query.status, `${argument}.status`, checkStatus);
  if (query.uniqueKey !== undefined) checked.uniqueKey = checkName(query.uniqueKey, `${argument}.uniqueKey`);
  if (query.group !== undefined) checked.group = checkGroup(query.group, `${argument}.group`);
  if (query.data !== undefined) checked.data = checkDataFields(query.data, `${argument}.data`);
  for (const key of ['createdAfter', 'createdBefore', 'finishedBefore'] as const) {
    if (query[key] !== undefined) checked[key] = checkDate(query[key], `${argument}.${key}`);
  }
  return checked;
}

/**
 * The statuses a method may touch among those the query selects, e.g. `deleteJobs` takes every
 * status but `processing`. Empty when the query selects none of them.
 */
export function selectStatuses(query: CheckedQuery, allowed: readonly JobStatusType[]): JobStatusType[] {
  const wanted = query.statuses ?? JOB_STATUSES;
  return allowed.filter((status) => wanted.includes(status));
}

/**
 * The MongoDB filter of a checked query; `statuses` (when given) replaces the query's own statuses
 * (pass the result of {@link selectStatuses}). See the file comment for the index that serves it.
 */
export function queryFilter(query: CheckedQuery, statuses?: readonly JobStatusType[]): Filter<JobDocument> {
  const filter: Record<string, unknown> = {};
  if (query.names) filter.name = { $in: [...query.names] };
  const status = statuses ?? query.statuses ?? (query.names ? JOB_STATUSES : undefined);
  if (status) filter.status = { $in: [...status] };
  if (query.uniqueKey !== undefined) filter.uniqueKey = query.uniqueKey;
  // `$exists` stated so the partial group index (on `group` existing) is allowed to serve it.
  if (query.group !== undefined) filter.group = { $exists: true, $eq: query.group };
  for (const [path, value] of query.data ?? []) filter[`data.${path}`] = value;
  if (query.createdAfter || query.createdBefore) {
    filter.createdAt = {
      ...(query.createdAfter ? { $gte: query.createdAfter } : {}),
      ...(query.createdBefore ? { $lt: query.createdBefore } : {}),
    };
  }
  if (query.finishedBefore) filter.finishedAt = { $lt: query.finishedBefore };
  return filter as Filter<JobDocument>;
}

/** The opaque cursor of the page that follows the job `lastId` (newest first). */
export function encodeCursor(lastId: ObjectId): string {
  return Buffer.from(JSON.stringify({ v: 1, after: lastId.toHexString() })).toString('base64url');
}

function decodeCursor(cursor: unknown, ids: ObjectIds, argument: string): ObjectId {
  const bad = (why: string): InvalidArgumentError =>
    new InvalidArgumentError(argument, `not a cursor returned by getJobs (${why}), got ${describeValue(cursor)}`);
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw bad('expected a base64url string');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad('it does not decode');
  }
  const after = (decoded as { v?: unknown; after?: unknown } | null)?.after;
  if (!isPlainObject(decoded) || decoded.v !== 1 || typeof after !== 'string' || !/^[0-9a-f]{24}$/.test(after)) {
    throw bad('unknown content');
  }
  return ids.parse(after, argument);
}

/**
 * Checks `getJobs`'s page: `limit` an integer from 1 to 1000 (default 50), `cursor` a `nextCursor`.
 * @throws InvalidArgumentError naming `page`, `page.limit` or `page.cursor`
 */
export function checkJobPage(page: unknown, ids: ObjectIds, argument = 'page'): CheckedPage {
  if (page === undefined) return { limit: DEFAULT_PAGE_LIMIT };
  if (!isPlainObject(page)) {
    throw new InvalidArgumentError(argument, `expected { cursor?, limit? }, got ${describeValue(page)}`);
  }
  const known: readonly (keyof JobPage)[] = ['cursor', 'limit'];
  for (const key of Object.keys(page)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`${argument}.${key}`, `unknown page field${suggestOption(key, known)}`);
    }
  }
  const limit =
    page.limit === undefined
      ? DEFAULT_PAGE_LIMIT
      : checkNumberIn(page.limit, `${argument}.limit`, { min: 1, max: MAX_PAGE_LIMIT, integer: true });
  if (page.cursor === undefined) return { limit };
  return { limit, after: decodeCursor(page.cursor, ids, `${argument}.cursor`) };
}
