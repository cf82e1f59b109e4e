/**
 * Turns the filters of an API request into a `JobQuery`: from a query string (`GET jobs`) or from a
 * JSON body (the bulk actions). Every value is checked and typed here; nothing the client sends is
 * ever passed on as a query operator, and an unknown filter name is refused (a typo must not widen
 * a bulk delete to every job).
 */
import type { JobPage, JobQuery, JobSort, JobStatusType } from '@monque/core';
import { checkDataPath, checkJsonDataValue, DataFilters, parseDataValue } from '../shared/data-filter.js';
import { ISO_TIME_FORMS, parseIsoTime } from '../shared/iso-time.js';
import { BadRequest } from './bad-request.js';

/** The statuses a filter may name. */
export const STATUSES: readonly JobStatusType[] = [
  'waiting',
  'pending',
  'processing',
  'completed',
  'failed',
  'cancelled',
];

const QUERY_KEYS = new Set(['name', 'status', 'uniqueKey', 'group', 'createdAfter', 'createdBefore', 'finishedBefore']);
const PAGE_KEYS = new Set(['cursor', 'limit', 'sort', 'order']);

/** The orders of `GET jobs?sort=…`. */
export const SORTS: readonly JobSort['by'][] = ['created', 'nextRun', 'finished'];

/** Most ids a bulk action takes (500 ids fit in the default 16 KiB body). */
export const MAX_BULK_IDS = 500;

function statusOf(value: unknown): JobStatusType {
  if (typeof value === 'string' && (STATUSES as readonly string[]).includes(value)) return value as JobStatusType;
  throw new BadRequest(`status: ${JSON.stringify(value)} is not one of ${STATUSES.join(', ')}`);
}

function nameOf(value: unknown): string {
  if (typeof value === 'string' && value.length > 0) return value;
  throw new BadRequest(`name: ${JSON.stringify(value)} is not a job name (a non-empty string)`);
}

/** Reads a time given as an ISO 8601 string (see `shared/iso-time.ts`: the CLI and the UI read it the same way). */
export function dateOf(key: string, value: unknown): Date {
  if (typeof value !== 'string') {
    throw new BadRequest(`${key}: ${JSON.stringify(value)} is not a time (${ISO_TIME_FORMS}, as a string)`);
  }
  const parsed = parseIsoTime(value);
  if (!parsed.ok) throw new BadRequest(`${key}: ${parsed.error}`);
  return parsed.value;
}

function oneOrMany<T>(values: T[]): T | T[] {
  return values.length === 1 ? (values[0] as T) : values;
}

/** The `JobQuery` and page of `GET jobs?…` (also used by `GET jobs/count`, which ignores the page). */
export function queryFromSearchParams(params: URLSearchParams): { query: JobQuery; page: JobPage } {
  const query: JobQuery = {};
  const page: JobPage = {};
  const names: string[] = [];
  const statuses: JobStatusType[] = [];
  const data = new DataFilters();
  const seen = new Set<string>();
  for (const [key, raw] of params) {
    if (key.startsWith('data.')) {
      const path = checkDataPath(key.slice('data.'.length));
      if (!path.ok) throw new BadRequest(path.error);
      const value = parseDataValue(raw);
      if (!value.ok) throw new BadRequest(`data.${path.value}: ${value.error}`);
      const added = data.add(path.value, value.value);
      if (!added.ok) throw new BadRequest(`data.${path.value}: ${added.error}`);
      continue;
    }
    if (!QUERY_KEYS.has(key) && !PAGE_KEYS.has(key)) {
      throw new BadRequest(
        `unknown filter ${JSON.stringify(key)} (known: ${[...QUERY_KEYS, ...PAGE_KEYS].join(', ')}, data.<path>)`,
      );
    }
    if (key === 'name') names.push(nameOf(raw));
    else if (key === 'status') for (const part of raw.split(',')) statuses.push(statusOf(part.trim()));
    else {
      if (seen.has(key)) throw new BadRequest(`${key} is given twice`);
      seen.add(key);
      if (key === 'uniqueKey') query.uniqueKey = raw;
      else if (key === 'group') query.group = raw;
      else if (key === 'sort') {
        if (!(SORTS as readonly string[]).includes(raw)) {
          throw new BadRequest(`sort: ${JSON.stringify(raw)} is not one of ${SORTS.join(', ')}`);
        }
        page.sort = { ...page.sort, by: raw as JobSort['by'] };
      } else if (key === 'order') {
        if (raw !== 'asc' && raw !== 'desc') throw new BadRequest(`order: ${JSON.stringify(raw)} is not asc or desc`);
        page.sort = { by: page.sort?.by ?? 'created', ...page.sort, order: raw };
      } else if (key === 'createdAfter' || key === 'createdBefore' || key === 'finishedBefore')
        query[key] = dateOf(key, raw);
      else if (key === 'cursor') page.cursor = raw;
      else if (key === 'limit') {
        if (!/^\d+$/.test(raw)) throw new BadRequest(`limit: ${JSON.stringify(raw)} is not a whole number`);
        page.limit = Number(raw);
      }
    }
  }
  if (names.length > 0) query.name = oneOrMany(names);
  if (statuses.length > 0) query.status = oneOrMany(statuses);
  const dataQuery = data.toQueryData();
  if (dataQuery) query.data = dataQuery;
  if (page.sort && !seen.has('sort')) throw new BadRequest('order: give sort too (created, nextRun or finished)');
  return { query, page };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function listOf<T>(key: string, value: unknown, check: (item: unknown) => T): T | T[] {
  if (!Array.isArray(value)) return check(value);
  if (value.length === 0) throw new BadRequest(`${key}: an empty list selects nothing; leave ${key} out, or name one`);
  return value.map(check);
}

function textOf(key: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new BadRequest(`${key}: must be a non-empty string`);
  return value;
}

/**
 * The `JobQuery` of a bulk action's filters: `{ name?, status?, uniqueKey?, group?, data?: { path:
 * value }, createdAfter?, createdBefore?, finishedBefore? }` (plus the `extra` keys the action
 * takes, which are left to the caller). `name` and `status` may be one value or an array.
 */
export function queryFromBody(body: Record<string, unknown>, extra: readonly string[] = []): JobQuery {
  const query: JobQuery = {};
  for (const [key, value] of Object.entries(body)) {
    if (extra.includes(key)) continue;
    switch (key) {
      case 'name':
        query.name = listOf(key, value, nameOf);
        break;
      case 'status':
        query.status = listOf(key, value, statusOf);
        break;
      case 'uniqueKey':
      case 'group':
        query[key] = textOf(key, value);
        break;
      case 'createdAfter':
      case 'createdBefore':
      case 'finishedBefore':
        query[key] = dateOf(key, value);
        break;
      case 'data': {
        if (!isPlainObject(value)) throw new BadRequest('data: must be an object of path → value');
        const data = new DataFilters();
        for (const [rawPath, fieldValue] of Object.entries(value)) {
          const path = checkDataPath(rawPath);
          if (!path.ok) throw new BadRequest(path.error);
          const checked = checkJsonDataValue(path.value, fieldValue);
          if (!checked.ok) throw new BadRequest(checked.error);
          data.add(path.value, checked.value);
        }
        const dataQuery = data.toQueryData();
        if (dataQuery) query.data = dataQuery;
        break;
      }
      default:
        throw new BadRequest(
          `unknown filter ${JSON.stringify(key)} (known: all, ids, name, status, uniqueKey, group, data, createdAfter, createdBefore, finishedBefore${extra.length ? `, ${extra.join(', ')}` : ''})`,
        );
    }
  }
  return query;
}

function idsOf(value: unknown): string[] {
  if (Array.isArray(value) && value.length === 0) {
    throw new BadRequest('ids: an empty list selects no jobs; select some, or give filters');
  }
  if (!Array.isArray(value) || value.length > MAX_BULK_IDS) {
    throw new BadRequest(`ids: must be a list of 1 to ${MAX_BULK_IDS} job ids`);
  }
  const ids = value.map((item, index) => {
    if (typeof item !== 'string' || !/^[0-9a-fA-F]{24}$/.test(item)) {
      throw new BadRequest(
        `ids[${index}]: ${JSON.stringify(item)?.slice(0, 100)} is not a job id (24 hexadecimal digits)`,
      );
    }
    return item.toLowerCase();
  });
  if (new Set(ids).size !== ids.length) throw new BadRequest('ids: a job id is listed twice');
  return ids;
}

/**
 * What a bulk action's JSON body selects, said explicitly: filters (see {@link queryFromBody}),
 * `{ "ids": [...] }` (the jobs selected in the list, alone) or `{ "all": true }` (every job, alone).
 * A body that selects nothing, or every job without saying so (empty, `null`, `{}`,
 * `{ "data": {} }`, only the action's `extra` keys), is refused: a lost or mangled filter must never
 * widen an action to every job.
 */
export function selectionFromBody(
  body: Record<string, unknown>,
  action: string,
  extra: readonly string[] = [],
): JobQuery {
  const { all, ids, ...rest } = body;
  const filters = Object.keys(rest).filter((key) => !extra.includes(key));
  if (all !== undefined) {
    if (all !== true) throw new BadRequest('all: must be true (to act on every job), or left out');
    if (ids !== undefined || filters.length > 0) {
      throw new BadRequest('all: { "all": true } selects every job; give it without filters or ids');
    }
    return {};
  }
  if (ids !== undefined) {
    if (filters.length > 0) throw new BadRequest('ids: give the selected jobs alone, without filters');
    return { ids: idsOf(ids) };
  }
  const query = queryFromBody(rest, extra);
  if (Object.keys(query).length === 0) {
    throw new BadRequest(
      `this ${action} selects no jobs: give filters (name, status, data …), the ids of the selected jobs, or { "all": true } to ${action} every job`,
    );
  }
  return query;
}

/** Checks a job id from the URL: 24 hexadecimal digits. */
export function jobIdOf(value: string): string {
  if (/^[0-9a-fA-F]{24}$/.test(value)) return value.toLowerCase();
  throw new BadRequest(`${JSON.stringify(value.slice(0, 100))} is not a job id (24 hexadecimal digits)`);
}
