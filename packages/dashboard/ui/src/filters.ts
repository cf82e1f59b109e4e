/**
 * The job list's filters as kept in the URL hash (`name`, `status`, `data` as typed text,
 * `createdAfter`, `createdBefore`), and their translation for the API: a query string for
 * `GET jobs`, a JSON body for the bulk actions. The data filter is read by the same code as the
 * server's and the CLI's, so `customer.id = 42` means the number 42 everywhere.
 */
import { type DataFilterValue, parseDataFilter } from '../../src/shared/data-filter.js';

export interface JobFilters {
  name: string;
  status: string;
  data: string;
  createdAfter: string;
  createdBefore: string;
}

const KEYS: ReadonlyArray<keyof JobFilters> = ['name', 'status', 'data', 'createdAfter', 'createdBefore'];

export function filtersFromParams(params: URLSearchParams): JobFilters {
  return {
    name: params.get('name') ?? '',
    status: params.get('status') ?? '',
    data: params.get('data') ?? '',
    createdAfter: params.get('createdAfter') ?? '',
    createdBefore: params.get('createdBefore') ?? '',
  };
}

export function paramsFromFilters(filters: JobFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of KEYS) if (filters[key]) params.set(key, filters[key]);
  return params;
}

/** Why the data filter cannot be used, or `undefined` when it is empty or fine. */
export function dataFilterError(text: string): string | undefined {
  if (!text.trim()) return undefined;
  const parsed = parseDataFilter(text);
  return parsed.ok ? undefined : parsed.error;
}

/** The query string of `GET jobs` / `GET jobs/count`. */
export function apiParams(filters: JobFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.name) params.set('name', filters.name);
  if (filters.status) params.set('status', filters.status);
  if (filters.data.trim()) {
    const at = filters.data.indexOf('=');
    params.set(`data.${filters.data.slice(0, at).trim()}`, filters.data.slice(at + 1).trim());
  }
  if (filters.createdAfter) params.set('createdAfter', filters.createdAfter);
  if (filters.createdBefore) params.set('createdBefore', filters.createdBefore);
  return params;
}

/** The JSON body of a bulk action on these filters. */
export function bulkBody(filters: JobFilters): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (filters.name) body.name = filters.name;
  if (filters.status) body.status = filters.status;
  if (filters.data.trim()) {
    const parsed = parseDataFilter(filters.data);
    if (parsed.ok) body.data = { [parsed.value.path]: parsed.value.value as DataFilterValue };
  }
  if (filters.createdAfter) body.createdAfter = filters.createdAfter;
  if (filters.createdBefore) body.createdBefore = filters.createdBefore;
  return body;
}

/** A short description of the filters, for confirmations. */
export function describeFilters(filters: JobFilters): string {
  const parts: string[] = [];
  if (filters.name) parts.push(`name ${filters.name}`);
  if (filters.status) parts.push(`status ${filters.status}`);
  if (filters.data.trim()) parts.push(`data ${filters.data.trim()}`);
  if (filters.createdAfter) parts.push(`created after ${new Date(filters.createdAfter).toLocaleString()}`);
  if (filters.createdBefore) parts.push(`created before ${new Date(filters.createdBefore).toLocaleString()}`);
  return parts.length ? parts.join(', ') : 'no filter (every job)';
}
