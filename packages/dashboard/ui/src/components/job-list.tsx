/** Jobs matching the filters, newest first, a page at a time (keyset paging), with bulk actions. */
import { useState } from 'preact/hooks';
import { apiGet, apiPost } from '../api.js';
import {
  apiParams,
  bulkBody,
  describeFilters,
  filtersFromParams,
  type JobFilters,
  paramsFromFilters,
} from '../filters.js';
import { formatTime } from '../format.js';
import { useNotices } from '../notices.js';
import { usePolled, useRefresh } from '../refresh.js';
import { jobsHash, navigate } from '../router.js';
import type { JobListJson, StatsJson } from '../types.js';
import type { ConfirmRequest } from './confirm-dialog.js';
import { JobFiltersForm } from './job-filters.js';
import { StatusBadge } from './status-badge.js';

const PAGE_SIZE = 50;

type BulkAction = 'retry' | 'cancel' | 'delete';

const BULK: Record<BulkAction, { label: string; done: string; which: string; danger: boolean }> = {
  retry: { label: 'Retry', done: 'Retried', which: 'the failed and cancelled jobs', danger: false },
  cancel: { label: 'Cancel', done: 'Cancelled', which: 'the pending and running jobs', danger: true },
  delete: { label: 'Delete', done: 'Deleted', which: 'the jobs that are not running', danger: true },
};

function preview(data: unknown): string {
  const text = JSON.stringify(data) ?? '';
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
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
  const filters = filtersFromParams(params);
  const filterKey = paramsFromFilters(filters).toString();
  const [cursors, setCursors] = useState<{ key: string; stack: string[] }>({ key: filterKey, stack: [] });
  const stack = cursors.key === filterKey ? cursors.stack : [];
  const cursor = stack[stack.length - 1];
  const { refreshNow } = useRefresh();
  const { notify } = useNotices();

  const pageParams = apiParams(filters);
  pageParams.set('limit', String(PAGE_SIZE));
  if (cursor) pageParams.set('cursor', cursor);
  const page = usePolled(() => apiGet<JobListJson>('jobs', pageParams), `jobs?${pageParams}`);
  const count = usePolled(() => apiGet<{ count: number }>('jobs/count', apiParams(filters)), `count?${filterKey}`);
  const stats = usePolled(() => apiGet<StatsJson>('stats'), 'names');
  const names = stats.data ? Object.keys(stats.data.byName).sort() : [];

  const apply = (next: JobFilters): void => navigate(jobsHash(paramsFromFilters(next)));

  const runBulk = (action: BulkAction): void => {
    const info = BULK[action];
    confirm({
      title: `${info.label} matching jobs?`,
      message: `${info.label} ${info.which} among the ${count.data?.count ?? '?'} jobs matching: ${describeFilters(filters)}.`,
      confirmLabel: `${info.label} jobs`,
      danger: info.danger,
      onConfirm: async () => {
        try {
          const result = await apiPost<{ count: number }>(`jobs/${action}`, bulkBody(filters));
          notify('success', `${info.done} ${result.count} job${result.count === 1 ? '' : 's'}`);
        } catch (error) {
          notify('error', `${info.label} failed: ${(error as Error).message}`);
        }
        refreshNow();
      },
    });
  };

  const jobs = page.data?.jobs ?? [];
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <JobFiltersForm filters={filters} names={names} onApply={apply} />
      <div class="list-bar">
        <p role="status" class="count">
          {count.data ? `${count.data.count} matching job${count.data.count === 1 ? '' : 's'}` : 'Counting…'}
        </p>
        {!readOnly && (
          <fieldset class="bulk">
            <legend class="visually-hidden">Bulk actions on the matching jobs</legend>
            {(Object.keys(BULK) as BulkAction[]).map((action) => (
              <button
                type="button"
                key={action}
                class={BULK[action].danger ? 'danger-outline' : ''}
                disabled={!count.data || count.data.count === 0}
                onClick={() => runBulk(action)}
              >
                {BULK[action].label} matching…
              </button>
            ))}
          </fieldset>
        )}
      </div>
      {page.error && (
        <p class="error-text" role="alert">
          Could not load the jobs: {page.error.message}
        </p>
      )}
      <div class="table-wrap">
        <table class="jobs">
          <caption class="visually-hidden">Matching jobs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Next run</th>
              <th scope="col" class="num">
                Attempts
              </th>
              <th scope="col">Created</th>
              <th scope="col">Data</th>
              <th scope="col">Fail reason</th>
            </tr>
          </thead>
          <tbody>
            {page.data && jobs.length === 0 && (
              <tr>
                <td colSpan={8}>No matching jobs.</td>
              </tr>
            )}
            {jobs.map((job) => (
              <tr key={job._id} data-id={job._id}>
                <td>
                  <a href={`#/jobs/${job._id}`} class="mono" aria-label={`Job ${job._id}`}>
                    {job._id.slice(-8)}
                  </a>
                </td>
                <td>{job.name}</td>
                <td>
                  <StatusBadge status={job.status} />
                </td>
                <td>{formatTime(job.nextRunAt)}</td>
                <td class="num">{job.attempts ?? 0}</td>
                <td>{formatTime(job.createdAt)}</td>
                <td class="mono data-preview">{preview(job.data)}</td>
                <td class="reason">{job.failReason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={stack.length === 0} onClick={() => setCursors({ key: filterKey, stack: [] })}>
          First page
        </button>
        <button
          type="button"
          disabled={stack.length === 0}
          onClick={() => setCursors({ key: filterKey, stack: stack.slice(0, -1) })}
        >
          Newer
        </button>
        <span>Page {stack.length + 1}</span>
        <button
          type="button"
          disabled={!page.data?.nextCursor}
          onClick={() =>
            page.data?.nextCursor && setCursors({ key: filterKey, stack: [...stack, page.data.nextCursor] })
          }
        >
          Older
        </button>
      </nav>
    </section>
  );
}
