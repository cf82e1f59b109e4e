/**
 * The pages of `getJobs`: the checked `page` (size, order, where it starts) and the opaque keyset
 * cursors. A cursor holds the sort key and `_id` of the last job of a page; the next page is the
 * jobs after that pair in the page's order (`_id` breaks ties), so a page is one `find` with a
 * sort and a limit, whatever page it is.
 *
 * Which index serves the order (see `store/indexes.ts` and `job-query.ts` for the filters):
 * - `created` (the default, newest first): `_id`, within the index the filter chose
 *   (`monque_list_name`, `monque_list_status` and `monque_data_<path>` all end in `_id`);
 * - `nextRun` and `finished`: none of Monque's; the server sorts the matching jobs itself (a top-k
 *   sort of one page, so its memory stays small, but it reads every matching job). On large
 *   collections, filter by name or status too, or add an index such as `{ status: 1, nextRunAt: 1,
 *   _id: 1 }` or `{ finishedAt: -1, _id: -1 }`.
 */
import type { Filter, ObjectId } from 'mongodb';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { JobPage, JobSort } from '../queries.js';
import { suggestOption } from '../suggest.js';
import { checkNumberIn, describeValue, isPlainObject } from '../validation.js';
import type { JobDocument } from './job-document.js';
import type { ObjectIds } from './object-ids.js';

/** Jobs per `getJobs` page unless `page.limit` says otherwise. */
export const DEFAULT_PAGE_LIMIT = 50;
/** Most jobs per `getJobs` page. */
export const MAX_PAGE_LIMIT = 1000;

type SortBy = JobSort['by'];
type SortOrder = NonNullable<JobSort['order']>;

const SORT_FIELDS: Record<SortBy, '_id' | 'nextRunAt' | 'finishedAt'> = {
  created: '_id',
  nextRun: 'nextRunAt',
  finished: 'finishedAt',
};
const DEFAULT_ORDER: Record<SortBy, SortOrder> = { created: 'desc', nextRun: 'asc', finished: 'desc' };
const SORT_BY = Object.keys(SORT_FIELDS) as SortBy[];

/** Where a page starts: after the job `id` whose sort key was `key` (`null`: the job had none). */
export interface PageStart {
  readonly id: ObjectId;
  readonly key?: Date | null;
}

/** A checked page: its size, its order, and the job it starts after. */
export interface CheckedPage {
  readonly limit: number;
  readonly sort: { readonly by: SortBy; readonly order: SortOrder };
  readonly after?: PageStart;
}

/** The cursor of the page that follows `last` in `sort`'s order. */
export function encodeCursor(last: JobDocument, sort: CheckedPage['sort'] = { by: 'created', order: 'desc' }): string {
  // The first cursor format stands for the default order, so cursors handed out before stay valid.
  const content =
    sort.by === 'created' && sort.order === 'desc'
      ? { v: 1, after: last._id.toHexString() }
      : {
          v: 2,
          by: sort.by,
          order: sort.order,
          after: last._id.toHexString(),
          ...(sort.by === 'created' ? {} : { key: keyOf(last, sort.by)?.toISOString() ?? null }),
        };
  return Buffer.from(JSON.stringify(content)).toString('base64url');
}

function keyOf(doc: JobDocument, by: SortBy): Date | null {
  const value = doc[SORT_FIELDS[by] as 'nextRunAt' | 'finishedAt'];
  return value instanceof Date ? value : null;
}

function decodeCursor(cursor: unknown, sort: CheckedPage['sort'], ids: ObjectIds, argument: string): PageStart {
  const bad = (why: string): InvalidArgumentError =>
    new InvalidArgumentError(argument, `not a cursor returned by getJobs (${why}), got ${describeValue(cursor)}`);
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,300}$/.test(cursor)) throw bad('expected a base64url string');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad('it does not decode');
  }
  if (!isPlainObject(decoded) || typeof decoded.after !== 'string' || !/^[0-9a-f]{24}$/.test(decoded.after)) {
    throw bad('unknown content');
  }
  // Version 1 (the default order) has no sort in it; version 2 names its sort.
  const { v, key } = decoded;
  const first = v === 1 && decoded.by === undefined && decoded.order === undefined;
  if (!first && (v !== 2 || typeof decoded.by !== 'string' || typeof decoded.order !== 'string')) {
    throw bad('unknown content');
  }
  const by = first ? 'created' : decoded.by;
  const order = first ? 'desc' : decoded.order;
  if (by !== sort.by || order !== sort.order) {
    throw new InvalidArgumentError(
      argument,
      `this cursor belongs to another order (${String(by)} ${String(order)}); pass the page.sort it was read with`,
    );
  }
  const id = ids.parse(decoded.after, argument);
  if (by === 'created') return { id };
  if (key === null && by === 'finished') return { id, key: null };
  const date = typeof key === 'string' ? new Date(key) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw bad('unknown content');
  return { id, key: date };
}

function checkSort(value: unknown, argument: string): CheckedPage['sort'] {
  if (value === undefined) return { by: 'created', order: 'desc' };
  if (!isPlainObject(value)) {
    throw new InvalidArgumentError(argument, `expected { by, order? }, got ${describeValue(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (key !== 'by' && key !== 'order') {
      throw new InvalidArgumentError(`${argument}.${key}`, `unknown sort field${suggestOption(key, ['by', 'order'])}`);
    }
  }
  if (!(SORT_BY as unknown[]).includes(value.by)) {
    throw new InvalidArgumentError(
      `${argument}.by`,
      `expected one of ${SORT_BY.join(', ')}, got ${describeValue(value.by)}`,
    );
  }
  const by = value.by as SortBy;
  if (value.order !== undefined && value.order !== 'asc' && value.order !== 'desc') {
    throw new InvalidArgumentError(`${argument}.order`, `expected 'asc' or 'desc', got ${describeValue(value.order)}`);
  }
  return { by, order: (value.order as SortOrder | undefined) ?? DEFAULT_ORDER[by] };
}

/**
 * Checks `getJobs`'s page: `limit` an integer from 1 to 1000 (default 50), `sort` `{ by, order? }`,
 * `cursor` a `nextCursor` read with the same sort.
 * @throws InvalidArgumentError naming `page`, `page.limit`, `page.sort.by` … or `page.cursor`
 */
export function checkJobPage(page: unknown, ids: ObjectIds, argument = 'page'): CheckedPage {
  if (page === undefined) return { limit: DEFAULT_PAGE_LIMIT, sort: { by: 'created', order: 'desc' } };
  if (!isPlainObject(page)) {
    throw new InvalidArgumentError(argument, `expected { cursor?, limit?, sort? }, got ${describeValue(page)}`);
  }
  const known: readonly (keyof JobPage)[] = ['cursor', 'limit', 'sort'];
  for (const key of Object.keys(page)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`${argument}.${key}`, `unknown page field${suggestOption(key, known)}`);
    }
  }
  const limit =
    page.limit === undefined
      ? DEFAULT_PAGE_LIMIT
      : checkNumberIn(page.limit, `${argument}.limit`, { min: 1, max: MAX_PAGE_LIMIT, integer: true });
  const sort = checkSort(page.sort, `${argument}.sort`);
  if (page.cursor === undefined) return { limit, sort };
  return { limit, sort, after: decodeCursor(page.cursor, sort, ids, `${argument}.cursor`) };
}

/** The `sort` of a page's `find`: its key, then `_id`, both in the page's order. */
export function sortOf(page: CheckedPage): Record<string, 1 | -1> {
  const direction = page.sort.order === 'asc' ? 1 : -1;
  const field = SORT_FIELDS[page.sort.by];
  return field === '_id' ? { _id: direction } : { [field]: direction, _id: direction };
}

/**
 * `filter` narrowed to the jobs after the page's start, in its order. Jobs without a `finishedAt`
 * sort as MongoDB sorts a missing value: before every date, so after them when descending.
 */
export function startingAfter(filter: Filter<JobDocument>, page: CheckedPage): Filter<JobDocument> {
  const { after } = page;
  if (!after) return filter;
  const next = page.sort.order === 'asc' ? '$gt' : '$lt';
  const field = SORT_FIELDS[page.sort.by];
  const idAfter = { [next]: after.id };
  if (field === '_id') {
    const existing = filter._id as Record<string, unknown> | undefined;
    return { ...filter, _id: { ...existing, ...idAfter } } as Filter<JobDocument>;
  }
  // `null` also matches a missing field.
  const missing = { [field]: null };
  let branches: Record<string, unknown>[];
  if (after.key === null || after.key === undefined) {
    branches = [{ ...missing, _id: idAfter }];
    // Ascending, the jobs with a date come after those without one.
    if (next === '$gt') branches.push({ [field]: { $gte: new Date(-8_640_000_000_000_000) } });
  } else {
    branches = [{ [field]: { [next]: after.key } }, { [field]: after.key, _id: idAfter }];
    if (next === '$lt') branches.push(missing);
  }
  return { ...filter, $or: branches } as Filter<JobDocument>;
}
