/**
 * The job list: filters, order and page all in the URL (a reload or a shared link shows the same
 * page), read once into a parsed filter from which the list, the count and the bulk actions are
 * built. Keyset pages: the cursors of the pages before this one are kept in the URL too.
 */
import { useEffect, useState } from 'preact/hooks';
import { apiGet } from '../api.js';
import {
  apiParams,
  type JobFilters,
  type ListSort,
  type ListState,
  listStateFromParams,
  NO_FILTERS,
  paramsFromListState,
} from '../filters.js';
import { usePolled, useRefresh } from '../refresh.js';
import { jobsHash, navigate } from '../router.js';
import type { JobListJson, StatsJson } from '../types.js';
import { BulkActions } from './bulk-actions.js';
import type { ConfirmRequest } from './confirm-dialog.js';
import { JobFiltersForm } from './job-filters.js';
import { JobTable } from './job-table.js';
import { useNow } from './time.js';

const PAGE_SIZE = 50;

function go(state: Pick<ListState, 'filters' | 'sort' | 'pages'>): void {
  navigate(jobsHash(paramsFromListState(state)));
}

function CountLine({ count, error }: { count: number | undefined; error: Error | undefined }) {
  if (error) {
    return (
      <p role="status" class="count error-text">
        Could not count the matching jobs: {error.message}
      </p>
    );
  }
  if (count === undefined) {
    return (
      <p role="status" class="count">
        Counting…
      </p>
    );
  }
  return (
    <p role="status" class="count">
      {count} matching job{count === 1 ? '' : 's'}
    </p>
  );
}

export function JobList({
  params,
  readOnly,
  confirm,
}: {
  params: URLSearchParams;
  readOnly: boolean;
  confirm(request: ConfirmRequest): void;
}) {
  const state = listStateFromParams(params);
  const { filters, parsed, sort, pages } = state;
  const now = useNow();
  const { refreshNow } = useRefresh();
  const query = parsed.ok ? apiParams(parsed.query) : undefined;
  const filterKey = query?.toString() ?? `invalid:${JSON.stringify(filters)}`;

  const pageParams = new URLSearchParams(query);
  pageParams.set('limit', String(PAGE_SIZE));
  if (sort.by !== 'created' || sort.order !== 'desc') {
    pageParams.set('sort', sort.by);
    pageParams.set('order', sort.order);
  }
  const cursor = pages[pages.length - 1];
  if (cursor) pageParams.set('cursor', cursor);
  // Nothing is asked for while the filter cannot be used.
  const none = <T,>(): Promise<T | undefined> => Promise.resolve(undefined);
  const page = usePolled(
    () => (query ? apiGet<JobListJson>('jobs', pageParams) : none<JobListJson>()),
    `jobs?${parsed.ok ? pageParams : filterKey}`,
  );
  const count = usePolled(
    () => (query ? apiGet<{ count: number }>('jobs/count', query) : none<{ count: number }>()),
    `count?${filterKey}`,
  );
  const stats = usePolled(() => apiGet<StatsJson>('stats'), 'names');
  const names = stats.data ? Object.keys(stats.data.byName).sort() : [];

  const jobs = page.data?.jobs ?? [];
  // The selection belongs to one page of one filter and order: it is dropped when they change. It
  // holds only rows the page lists: a row that leaves the list on a refresh (another operator
  // retried or deleted it) leaves the selection too, so a bulk action never reaches a job no
  // longer shown.
  const selectionKey = `${filterKey}|${sort.by}|${sort.order}|${pages.join('.')}`;
  const [selection, setSelection] = useState<{ key: string; ids: ReadonlySet<string> }>({
    key: selectionKey,
    ids: new Set(),
  });
  const listed = new Set(jobs.map((job) => job._id));
  const selected = new Set(selection.key === selectionKey ? [...selection.ids].filter((id) => listed.has(id)) : []);
  const stale = selection.key === selectionKey && selected.size < selection.ids.size;
  useEffect(() => {
    if (stale) setSelection({ key: selectionKey, ids: selected });
  });
  const select = (ids: readonly string[], on: boolean): void => {
    const next = new Set(selected);
    for (const id of ids) on ? next.add(id) : next.delete(id);
    setSelection({ key: selectionKey, ids: next });
  };

  const apply = (next: JobFilters): void => go({ filters: next, sort, pages: [] });
  const setSort = (next: ListSort): void => go({ filters, sort: next, pages: [] });

  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <JobFiltersForm filters={filters} names={names} onApply={apply} />
      {!parsed.ok && (
        <div class="banner error-banner" role="alert">
          <p>This filter cannot be used, so no jobs are listed and bulk actions are off: {parsed.errors.join('; ')}.</p>
          <button type="button" onClick={() => go({ filters: NO_FILTERS, sort, pages: [] })}>
            Clear the filters
          </button>
        </div>
      )}
      <div class="list-bar">
        {parsed.ok ? <CountLine count={count.data?.count} error={count.error} /> : <p class="count">No list</p>}
        {!readOnly && (
          <div class="bulk-area">
            {selected.size > 0 && (
              <button type="button" class="quiet" onClick={() => setSelection({ key: selectionKey, ids: new Set() })}>
                Clear selection
              </button>
            )}
            <BulkActions
              parsed={parsed}
              count={count.error ? undefined : count.data?.count}
              selected={[...selected]}
              confirm={confirm}
              onDone={() => {
                setSelection({ key: selectionKey, ids: new Set() });
                refreshNow();
              }}
            />
          </div>
        )}
      </div>
      {page.error && (
        <p class="error-text" role="alert">
          Could not load the jobs: {page.error.message}
        </p>
      )}
      {parsed.ok && (
        <JobTable
          jobs={jobs}
          loaded={page.data !== undefined}
          now={now}
          sort={sort}
          onSort={setSort}
          selected={selected}
          onSelect={select}
          selectable={!readOnly}
        />
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={pages.length === 0} onClick={() => go({ filters, sort, pages: [] })}>
          First page
        </button>
        <button
          type="button"
          disabled={pages.length === 0}
          onClick={() => go({ filters, sort, pages: pages.slice(0, -1) })}
        >
          Previous
        </button>
        <span>Page {pages.length + 1}</span>
        <button
          type="button"
          disabled={!page.data?.nextCursor}
          onClick={() => page.data?.nextCursor && go({ filters, sort, pages: [...pages, page.data.nextCursor] })}
        >
          Next
        </button>
      </nav>
    </section>
  );
}
