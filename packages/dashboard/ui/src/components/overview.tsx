/** One row per job name (counts by status, due now, oldest due age, paused) and the throughput chart. */
import { apiGet, apiPost, failureNotice } from '../api.js';
import { formatAge } from '../format.js';
import { useNotices } from '../notices.js';
import { usePolled, useRefresh } from '../refresh.js';
import { jobsHash } from '../router.js';
import type { StatsJson, StatusCounts, ThroughputBucket } from '../types.js';
import { ThroughputChart } from './throughput-chart.js';

const COLUMNS: ReadonlyArray<keyof StatusCounts> = [
  'waiting',
  'pending',
  'due',
  'processing',
  'completed',
  'failed',
  'cancelled',
];

/** A column's heading (and its label on a card at phone width). */
const heading = (column: keyof StatusCounts): string =>
  column === 'due' ? 'Due now' : `${column[0]?.toUpperCase()}${column.slice(1)}`;

function countLink(name: string | undefined, status: keyof StatusCounts, count: number) {
  if (count === 0) return <span class="zero">0</span>;
  const params = new URLSearchParams();
  if (name) params.set('name', name);
  params.set('status', status === 'due' ? 'pending' : status);
  return (
    <a href={jobsHash(params)} aria-label={`${count} ${status} jobs${name ? ` named ${name}` : ''}`}>
      {count}
    </a>
  );
}

export function Overview({ readOnly, theme }: { readOnly: boolean; theme: string }) {
  const stats = usePolled(() => apiGet<StatsJson>('stats'), 'stats');
  const throughput = usePolled(() => apiGet<{ buckets: ThroughputBucket[] }>('throughput'), 'throughput');
  const { refreshNow } = useRefresh();
  const { notify } = useNotices();

  const setPaused = async (name: string | null, pause: boolean): Promise<void> => {
    const verb = pause ? 'pause' : 'resume';
    try {
      // The name goes in the body: a URL would drop a name such as `.` or `..` from its path.
      await apiPost(`queues/${verb}`, name === null ? { all: true } : { name });
      notify('success', `${pause ? 'Paused' : 'Resumed'} ${name ?? 'every job name'}`);
    } catch (error) {
      notify('error', failureNotice(`${pause ? 'Pause' : 'Resume'} ${name ?? 'every job name'}`, error));
    }
    refreshNow();
  };

  const data = stats.data;
  const names = data ? Object.keys(data.byName).sort() : [];
  const now = data ? new Date(data.now).getTime() : Date.now();
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      {stats.error && (
        <p class="error-text" role="alert">
          Could not load the stats: {stats.error.message}
        </p>
      )}
      {data?.paused === 'all' && (
        <div class="banner" role="status">
          Every job name is paused: no instance claims jobs.
          {!readOnly && (
            <button type="button" onClick={() => setPaused(null, false)}>
              Resume all
            </button>
          )}
        </div>
      )}
      <div class="table-wrap">
        <table class="overview cards">
          <caption class="visually-hidden">Jobs by name and status</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              {COLUMNS.map((column) => (
                <th scope="col" class="num" key={column}>
                  {heading(column)}
                </th>
              ))}
              <th scope="col">Oldest due</th>
              <th scope="col">State</th>
              {!readOnly && (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {data && names.length === 0 && (
              <tr class="empty">
                <td colSpan={COLUMNS.length + 4}>No jobs yet.</td>
              </tr>
            )}
            {names.map((name) => {
              const row = data?.byName[name];
              if (!row) return null;
              return (
                <tr key={name} data-name={name}>
                  <th scope="row">
                    <a href={jobsHash(new URLSearchParams({ name }))}>{name}</a>
                  </th>
                  {COLUMNS.map((column) => (
                    <td class={`num col-${column}`} key={column} data-label={heading(column)}>
                      {countLink(name, column, row[column])}
                    </td>
                  ))}
                  <td data-label="Oldest due">
                    {row.oldestDueAt ? formatAge(now - new Date(row.oldestDueAt).getTime()) : '—'}
                  </td>
                  <td data-label="State">
                    {row.paused ? <span class="badge paused">paused</span> : <span class="badge running">active</span>}
                  </td>
                  {!readOnly && (
                    <td class="actions">
                      {row.paused && data?.paused !== 'all' ? (
                        <button type="button" onClick={() => setPaused(name, false)} aria-label={`Resume ${name}`}>
                          Resume
                        </button>
                      ) : data?.paused === 'all' ? null : (
                        <button type="button" onClick={() => setPaused(name, true)} aria-label={`Pause ${name}`}>
                          Pause
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
          {data && names.length > 0 && (
            <tfoot>
              <tr>
                <th scope="row">Total</th>
                {COLUMNS.map((column) => (
                  <td class="num" key={column} data-label={heading(column)}>
                    {countLink(undefined, column, data.total[column])}
                  </td>
                ))}
                <td colSpan={readOnly ? 2 : 3} class="actions">
                  {!readOnly && data.paused !== 'all' && (
                    <button type="button" class="quiet" onClick={() => setPaused(null, true)}>
                      Pause all
                    </button>
                  )}
                </td>
              </tr>
            </tfoot>
          )}
        </table>
      </div>
      <h2>Throughput</h2>
      {throughput.error && <p class="error-text">Could not load the throughput: {throughput.error.message}</p>}
      <ThroughputChart buckets={throughput.data?.buckets ?? []} theme={theme} />
    </section>
  );
}
