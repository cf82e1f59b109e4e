/**
 * The job list's state as kept in the URL hash (filters, order and page), read ONCE into a parsed
 * filter. The list's request, its count, the confirmation's text and a bulk action's body are all
 * built from that one parsed value, so they cannot disagree; a filter that cannot be parsed (a
 * typo in the URL, a broken data filter, an unknown parameter) disables the list and every bulk
 * action instead of being dropped. The data filter is read by the same code as the server's and
 * the CLI's, so `customer.id = 42` means the number 42 everywhere.
 */
import { type DataFilterValue, parseDataFilter } from '../../src/shared/data-filter.js';
import { parseIsoTime } from '../../src/shared/iso-time.js';
import { type JobStatus, STATUSES } from './types.js';

/** The filters as typed (strings, as in the form and the URL). */
export interface JobFilters {
  name: string;
  /** Comma-separated statuses. */
  status: string;
  data: string;
  uniqueKey: string;
  group: string;
  createdAfter: string;
  createdBefore: string;
}

/** The orders of the list. */
export type SortBy = 'created' | 'nextRun' | 'finished';

/** The list's order. */
export interface ListSort {
  by: SortBy;
  order: 'asc' | 'desc';
}

/** The default order of each sort: newest first, soonest due first, latest finished first. */
export const DEFAULT_ORDER: Record<SortBy, 'asc' | 'desc'> = { created: 'desc', nextRun: 'asc', finished: 'desc' };

/** The filters as the API takes them, every value checked and typed. */
export interface ParsedQuery {
  name?: string;
  status?: JobStatus[];
  uniqueKey?: string;
  group?: string;
  data?: { path: string; value: DataFilterValue };
  createdAfter?: string;
  createdBefore?: string;
}

/** The filters read: usable (`query`, `empty` when it selects every job) or not (`errors`). */
export type ParsedFilters = { ok: true; query: ParsedQuery; empty: boolean } | { ok: false; errors: string[] };

/** The whole list state of the URL. */
export interface ListState {
  filters: JobFilters;
  parsed: ParsedFilters;
  sort: ListSort;
  /** The cursors of the pages before this one (empty on the first page). */
  pages: string[];
}

const FILTER_KEYS: ReadonlyArray<keyof JobFilters> = [
  'name',
  'status',
  'data',
  'uniqueKey',
  'group',
  'createdAfter',
  'createdBefore',
];
const OTHER_KEYS = ['sort', 'order', 'pages'];
const SORTS: readonly SortBy[] = ['created', 'nextRun', 'finished'];

/** No filter at all. */
export const NO_FILTERS: JobFilters = {
  name: '',
  status: '',
  data: '',
  uniqueKey: '',
  group: '',
  createdAfter: '',
  createdBefore: '',
};

/** A time of the address, read as the server and the CLI read it: ISO 8601 only. */
function timeOf(label: string, text: string, errors: string[]): string | undefined {
  const parsed = parseIsoTime(text);
  if (!parsed.ok) {
    errors.push(`${label}: ${parsed.error}`);
    return undefined;
  }
  return parsed.value.toISOString();
}

/** Reads the filters as typed into checked, typed values (or the reasons they cannot be used). */
export function parseFilters(filters: JobFilters, unknownKeys: readonly string[] = []): ParsedFilters {
  const errors = unknownKeys.map((key) => `unknown filter ${JSON.stringify(key)} in the address`);
  const query: ParsedQuery = {};
  if (filters.name) query.name = filters.name;
  if (filters.status) {
    const statuses = filters.status.split(',').map((status) => status.trim());
    const unknown = statuses.filter((status) => !(STATUSES as readonly string[]).includes(status));
    if (unknown.length > 0) errors.push(`status: ${unknown.map((s) => JSON.stringify(s)).join(', ')} is not a status`);
    else query.status = [...new Set(statuses as JobStatus[])];
  }
  if (filters.data.trim()) {
    const parsed = parseDataFilter(filters.data);
    if (parsed.ok) query.data = parsed.value;
    else errors.push(`data: ${parsed.error}`);
  }
  if (filters.uniqueKey) query.uniqueKey = filters.uniqueKey;
  if (filters.group) query.group = filters.group;
  if (filters.createdAfter) query.createdAfter = timeOf('created after', filters.createdAfter, errors);
  if (filters.createdBefore) query.createdBefore = timeOf('created before', filters.createdBefore, errors);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, query, empty: Object.keys(query).length === 0 };
}

/** Reads the list state from the hash's query (`#/jobs?…`). */
export function listStateFromParams(params: URLSearchParams): ListState {
  const filters = { ...NO_FILTERS };
  const unknown: string[] = [];
  for (const key of new Set(params.keys())) {
    if ((FILTER_KEYS as readonly string[]).includes(key)) filters[key as keyof JobFilters] = params.get(key) ?? '';
    else if (!OTHER_KEYS.includes(key)) unknown.push(key);
  }
  const by = SORTS.find((sort) => sort === params.get('sort')) ?? 'created';
  const order = params.get('order');
  const sort: ListSort = { by, order: order === 'asc' || order === 'desc' ? order : DEFAULT_ORDER[by] };
  const pages = (params.get('pages') ?? '').split('.').filter((cursor) => /^[A-Za-z0-9_-]{1,300}$/.test(cursor));
  return { filters, parsed: parseFilters(filters, unknown), sort, pages };
}

/** The hash query of a list state (only what differs from the defaults). */
export function paramsFromListState(state: Pick<ListState, 'filters' | 'sort' | 'pages'>): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) if (state.filters[key]) params.set(key, state.filters[key]);
  if (state.sort.by !== 'created' || state.sort.order !== 'desc') {
    params.set('sort', state.sort.by);
    if (state.sort.order !== DEFAULT_ORDER[state.sort.by]) params.set('order', state.sort.order);
  }
  if (state.pages.length > 0) params.set('pages', state.pages.join('.'));
  return params;
}

/** A data value written so the server reads it back as the same value (strings always quoted). */
function dataText(value: DataFilterValue): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** The query string of `GET jobs/count` (and of `GET jobs`, with the page added). */
export function apiParams(query: ParsedQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (query.name) params.set('name', query.name);
  if (query.status) params.set('status', query.status.join(','));
  if (query.uniqueKey) params.set('uniqueKey', query.uniqueKey);
  if (query.group) params.set('group', query.group);
  if (query.data) params.set(`data.${query.data.path}`, dataText(query.data.value));
  if (query.createdAfter) params.set('createdAfter', query.createdAfter);
  if (query.createdBefore) params.set('createdBefore', query.createdBefore);
  return params;
}

/** The JSON body of a bulk action on these filters: `{ all: true }` when they select every job. */
export function bulkBody(parsed: ParsedFilters & { ok: true }): Record<string, unknown> {
  if (parsed.empty) return { all: true };
  const { data, ...rest } = parsed.query;
  return { ...rest, ...(data ? { data: { [data.path]: data.value } } : {}) };
}

/** The filters in words, for the confirmation. */
export function describeFilters(parsed: ParsedFilters & { ok: true }, formatTime: (iso: string) => string): string {
  const { query } = parsed;
  if (parsed.empty) return 'no filter: every job';
  const parts: string[] = [];
  if (query.name) parts.push(`name ${query.name}`);
  if (query.status) parts.push(`status ${query.status.join(' or ')}`);
  if (query.data) parts.push(`data ${query.data.path} = ${JSON.stringify(query.data.value)}`);
  if (query.uniqueKey) parts.push(`unique key ${query.uniqueKey}`);
  if (query.group) parts.push(`group ${query.group}`);
  if (query.createdAfter) parts.push(`created after ${formatTime(query.createdAfter)}`);
  if (query.createdBefore) parts.push(`created before ${formatTime(query.createdBefore)}`);
  return parts.join(', ');
}
