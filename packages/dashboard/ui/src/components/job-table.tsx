/**
 * The jobs of one page: a table with sortable time columns and a checkbox per row for bulk
 * actions. At phone width the rows become cards (each cell labelled by `data-label`), the id, name
 * and status first, under a bar with the header's controls (select all, the sort buttons).
 */
import { DEFAULT_ORDER, type ListSort, type SortBy } from '../filters.js';
import { formatDuration, runDuration } from '../format.js';
import type { JobJson } from '../types.js';
import { StatusBadge } from './status-badge.js';
import { Time } from './time.js';

const FINISHED: readonly string[] = ['completed', 'failed', 'cancelled'];

function preview(data: unknown): string {
  const text = JSON.stringify(data) ?? '';
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

function SortHeader({
  by,
  label,
  sort,
  onSort,
}: {
  by: SortBy;
  label: string;
  sort: ListSort;
  onSort(sort: ListSort): void;
}) {
  const active = sort.by === by;
  const next: ListSort = active
    ? { by, order: sort.order === 'asc' ? 'desc' : 'asc' }
    : { by, order: DEFAULT_ORDER[by] };
  return (
    <th scope="col" aria-sort={active ? (sort.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button
        type="button"
        class="sort"
        onClick={() => onSort(next)}
        title={`Sort by ${label.toLowerCase()}, ${next.order === 'asc' ? 'earliest' : 'latest'} first`}
      >
        {label}
        <span aria-hidden="true" class="sort-mark">
          {active ? (sort.order === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );
}

export function JobTable({
  jobs,
  loaded,
  now,
  sort,
  onSort,
  selected,
  onSelect,
  selectable,
}: {
  jobs: readonly JobJson[];
  loaded: boolean;
  now: number;
  sort: ListSort;
  onSort(sort: ListSort): void;
  selected: ReadonlySet<string>;
  onSelect(ids: readonly string[], on: boolean): void;
  selectable: boolean;
}) {
  const allSelected = jobs.length > 0 && jobs.every((job) => selected.has(job._id));
  const columns = selectable ? 11 : 10;
  return (
    <div class="table-wrap">
      <table class="jobs cards">
        <caption class="visually-hidden">Matching jobs</caption>
        <thead>
          <tr>
            {selectable && (
              <th scope="col" class="pick">
                <label class="pick-all">
                  <input
                    type="checkbox"
                    aria-label="Select every job on this page"
                    checked={allSelected}
                    disabled={jobs.length === 0}
                    onChange={(event) =>
                      onSelect(
                        jobs.map((job) => job._id),
                        event.currentTarget.checked,
                      )
                    }
                  />
                  <span class="phone-only" aria-hidden="true">
                    Select all on this page
                  </span>
                </label>
              </th>
            )}
            <th scope="col">Job</th>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <SortHeader by="nextRun" label="Next run" sort={sort} onSort={onSort} />
            <th scope="col" class="num">
              Attempts
            </th>
            <SortHeader by="created" label="Created" sort={sort} onSort={onSort} />
            <SortHeader by="finished" label="Finished" sort={sort} onSort={onSort} />
            <th scope="col" class="num">
              Duration
            </th>
            <th scope="col">Data</th>
            <th scope="col">Fail reason</th>
          </tr>
        </thead>
        <tbody>
          {loaded && jobs.length === 0 && (
            <tr class="empty">
              <td colSpan={columns}>No matching jobs.</td>
            </tr>
          )}
          {jobs.map((job) => {
            const duration = runDuration(job, now);
            return (
              <tr key={job._id} data-id={job._id} class={selected.has(job._id) ? 'picked' : undefined}>
                {selectable && (
                  <td class="pick">
                    <input
                      type="checkbox"
                      aria-label={`Select job ${job._id}`}
                      checked={selected.has(job._id)}
                      onChange={(event) => onSelect([job._id], event.currentTarget.checked)}
                    />
                  </td>
                )}
                <td data-label="Job" class="key">
                  <a href={`#/jobs/${job._id}`} class="mono" aria-label={`Job ${job._id}`} title={job._id}>
                    {job._id.slice(-8)}
                  </a>
                </td>
                <td data-label="Name" class="key name">
                  {job.name}
                </td>
                <td data-label="Status" class="key">
                  <StatusBadge status={job.status} />
                </td>
                <td data-label="Next run">
                  {FINISHED.includes(job.status) ? (
                    <span class="subtle" title="finished: not due again unless retried">
                      —
                    </span>
                  ) : (
                    <Time iso={job.nextRunAt} now={now} />
                  )}
                </td>
                <td data-label="Attempts" class="num">
                  {job.attempts ?? 0}
                </td>
                <td data-label="Created">
                  <Time iso={job.createdAt} now={now} />
                </td>
                <td data-label="Finished">
                  <Time iso={job.finishedAt} now={now} />
                </td>
                <td data-label="Duration" class="num">
                  {duration === undefined ? <span class="subtle">—</span> : formatDuration(duration)}
                </td>
                <td data-label="Data" class="mono data-preview" title={JSON.stringify(job.data)}>
                  {preview(job.data)}
                </td>
                <td data-label="Fail reason" class="reason" title={job.failReason}>
                  {job.failReason && <div class="clamp">{job.failReason}</div>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
