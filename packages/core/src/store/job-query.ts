/**
 * A user's {@link JobQuery} checked and turned into a MongoDB filter (the pages of `getJobs` are in
 * `job-page.ts`). Every value is matched by equality: an operator object (`{ $ne: null }`) where a
 * value is expected is refused, so a query can never select more than its author could see.
 *
 * Which index serves a filter (see `store/indexes.ts`):
 * - `name` (with or without `status`): `monque_list_name` `{name, status, _id: -1}`. Without a
 *   status the filter lists every status (`$in`), so the server merges the per-status ranges in
 *   `_id` order instead of sorting in memory;
 * - `status` alone: `monque_list_status` `{status, _id: -1}`;
 * - `data.<path>`: `monque_data_<path>` `{'data.<path>': 1, _id: -1}` when the path is declared in
 *   the `dataIndexes` option; otherwise the other fields' index, or a collection scan;
 * - `ids`: the `_id` index; `dependsOn`: `monque_depends_on`; `flowId`: `monque_flow`;
 * - `uniqueKey`, `group`, `createdAfter`, `createdBefore`, `finishedBefore`: filtered while reading
 *   the index the other fields chose (combine them with a name or status on large collections);
 * - nothing: `monque_list_status` (every public status, merged in `_id` order) or the `_id` index.
 */
import type { Filter, ObjectId } from 'mongodb';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import { JOB_STATUSES, type JobStatusType } from '../job.js';
import type { DataFieldValue, JobQuery } from '../queries.js';
import { suggestOption } from '../suggest.js';
import { checkDataPath, checkDate, checkName, describeValue, isPlainObject } from '../validation.js';
import type { JobDocument } from './job-document.js';
import type { ObjectIds } from './object-ids.js';

/** Most `query.data` fields in one query. */
export const MAX_DATA_FIELDS = 20;
/** Most `query.ids` in one query. */
export const MAX_QUERY_IDS = 1000;

const QUERY_KEYS = [
  'ids',
  'name',
  'status',
  'uniqueKey',
  'group',
  'data',
  'createdAfter',
  'createdBefore',
  'finishedBefore',
  'dependsOn',
  'flowId',
] as const satisfies readonly (keyof JobQuery)[];

/** A checked query: every field present is valid, arrays are non-empty. */
export interface CheckedQuery {
  readonly ids?: readonly ObjectId[];
  readonly names?: readonly string[];
  readonly statuses?: readonly JobStatusType[];
  readonly uniqueKey?: string;
  readonly group?: string;
  /** `[path inside data, value]` pairs. */
  readonly data?: readonly (readonly [string, DataFieldValue])[];
  readonly createdAfter?: Date;
  readonly createdBefore?: Date;
  readonly finishedBefore?: Date;
  readonly dependsOn?: ObjectId;
  readonly flowId?: ObjectId;
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
  // Own keys only, read as entries: a field named `__proto__` or `constructor` is a field like any
  // other. An object with no key at all is refused rather than read as "any job": it is what a
  // filter becomes when its field was lost (`{ __proto__: 5 }` written in code sets the prototype).
  if (Object.keys(value).length === 0) {
    throw new InvalidArgumentError(argument, 'names no field (leave data out to match any job)');
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

function checkIds(value: unknown, ids: ObjectIds | undefined, argument: string): ObjectId[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_QUERY_IDS) {
    throw new InvalidArgumentError(
      argument,
      `expected an array of 1 to ${MAX_QUERY_IDS} job ids, got ${Array.isArray(value) ? `${value.length} ids` : describeValue(value)}`,
    );
  }
  if (!ids) throw new InvalidArgumentError(argument, 'job ids cannot be used here');
  return value.map((id, index) => ids.parse(id, `${argument}[${index}]`));
}

/**
 * Checks a query given to an operations method. `undefined` is the empty query (every job) unless
 * `required`; keys whose value is `undefined` are ignored.
 *
 * @param argument - the name used in errors (`'query'`)
 * @param ids - reads `query.ids` (ids of the `Db`'s driver)
 * @throws InvalidArgumentError naming the field at fault (`query.status[1]`, `query.data.customer.id` …)
 */
export function checkJobQuery(query: unknown, argument = 'query', required = false, ids?: ObjectIds): CheckedQuery {
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
  if (query.ids !== undefined) checked.ids = checkIds(query.ids, ids, `${argument}.ids`);
  if (query.name !== undefined) checked.names = oneOrMany(query.name, `${argument}.name`, checkName);
  if (query.status !== undefined) checked.statuses = oneOrMany(query.status, `${argument}.status`, checkStatus);
  if (query.uniqueKey !== undefined) checked.uniqueKey = checkName(query.uniqueKey, `${argument}.uniqueKey`);
  if (query.group !== undefined) checked.group = checkName(query.group, `${argument}.group`);
  if (query.data !== undefined) checked.data = checkDataFields(query.data, `${argument}.data`);
  for (const key of ['createdAfter', 'createdBefore', 'finishedBefore'] as const) {
    if (query[key] !== undefined) checked[key] = checkDate(query[key], `${argument}.${key}`);
  }
  const parse = (value: unknown, at: string): ObjectId => {
    if (!ids) throw new InvalidArgumentError(at, 'job ids are not accepted here');
    return ids.parse(value, at);
  };
  if (query.dependsOn !== undefined) checked.dependsOn = parse(query.dependsOn, `${argument}.dependsOn`);
  if (query.flowId !== undefined) checked.flowId = parse(query.flowId, `${argument}.flowId`);
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
  if (query.ids) filter._id = { $in: [...query.ids] };
  if (query.names) filter.name = { $in: [...query.names] };
  // Always a status: every public status, when none is asked for, which also leaves out the
  // staged jobs of a flow not yet live (see `store/flow-store.ts`).
  const status = statuses ?? query.statuses ?? JOB_STATUSES;
  filter.status = { $in: [...status] };
  if (query.uniqueKey !== undefined) filter.uniqueKey = query.uniqueKey;
  if (query.group !== undefined) filter.group = query.group;
  for (const [path, value] of query.data ?? []) filter[`data.${path}`] = value;
  if (query.createdAfter || query.createdBefore) {
    filter.createdAt = {
      ...(query.createdAfter ? { $gte: query.createdAfter } : {}),
      ...(query.createdBefore ? { $lt: query.createdBefore } : {}),
    };
  }
  if (query.finishedBefore) filter.finishedAt = { $lt: query.finishedBefore };
  if (query.dependsOn) filter.dependsOn = query.dependsOn;
  if (query.flowId) filter.flowId = query.flowId;
  return filter as Filter<JobDocument>;
}
