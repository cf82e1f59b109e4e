/**
 * Every recurring job still scheduled, a page at a time: its cron expression and time zone, its next
 * run, its last run and how it ended, and whether its name is paused; pause or resume the name, or
 * unschedule it.
 */
import { useState } from 'preact/hooks';
import { apiGet, apiPost, failureNotice } from '../api.js';
import { formatDuration } from '../format.js';
import { useNotices } from '../notices.js';
import { usePolled, useRefresh } from '../refresh.js';
import type { JobJson, SchedulesJson } from '../types.js';
import type { ConfirmRequest } from './confirm-dialog.js';
import { Time, useNow } from './time.js';

/** How a recurring job's last run ended (and how long it took), from what it left on the document. */
export function lastOutcome(job: JobJson): {
  kind: 'running' | 'completed' | 'failed' | 'never';
  message?: string;
  durationMs?: number;
} {
  if (job.status === 'processing') return { kind: 'running' };
  const lastError = job.errors?.[job.errors.length - 1];
  const failedAt = lastError ? Date.parse(lastError.at) : undefined;
  const completedAt = job.completedAt ? Date.parse(job.completedAt) : undefined;
  // A success removes failReason; a failure since the last success leaves it.
  if (job.failReason && (completedAt === undefined || failedAt === undefined || failedAt > completedAt)) {
    return { kind: 'failed', message: job.failReason, ...(lastError ? { durationMs: lastError.durationMs } : {}) };
  }
  if (completedAt === undefined) return { kind: 'never' };
  const started = job.startedAt ? Date.parse(job.startedAt) : undefined;
  return {
    kind: 'completed',
    ...(started !== undefined && completedAt >= started ? { durationMs: completedAt - started } : {}),
  };
}

function Outcome({ outcome }: { outcome: ReturnType<typeof lastOutcome> }) {
  if (outcome.kind === 'never') return <span class="subtle">not run yet</span>;
  if (outcome.kind === 'running') return <span class="badge status-processing">running</span>;
  return (
    <span class="outcome">
      <span class={`badge status-${outcome.kind}`}>{outcome.kind}</span>
      {outcome.message && (
        <span class="reason" title={outcome.message}>
          {outcome.message}
        </span>
      )}
    </span>
  );
}

/** Recurring jobs per page (the API pages them: none is left out past a page). */
const PAGE_SIZE = 100;

export function Schedules({ readOnly, confirm }: { readOnly: boolean; confirm(request: ConfirmRequest): void }) {
  // The cursors of the pages before this one.
  const [pages, setPages] = useState<string[]>([]);
  const cursor = pages[pages.length - 1];
  const params = new URLSearchParams({ limit: String(PAGE_SIZE), ...(cursor ? { after: cursor } : {}) });
  const loaded = usePolled(() => apiGet<SchedulesJson>('schedules', params), `schedules?${params}`);
  const now = useNow();
  const { refreshNow } = useRefresh();
  const { notify } = useNotices();
  const data = loaded.data;
  const isPaused = (name: string): boolean => data?.paused === 'all' || (data?.paused.includes(name) ?? false);

  const change = async (path: string, body: Record<string, unknown>, done: string, what: string) => {
    try {
      await apiPost(path, body);
      notify('success', done);
    } catch (error) {
      notify('error', failureNotice(what, error));
    }
    refreshNow();
  };
  const unschedule = (job: JobJson): void => {
    const which = job.uniqueKey ? `${job.name} (${job.uniqueKey})` : job.name;
    confirm({
      title: `Unschedule ${which}?`,
      message: `The recurring job is removed: it will not run at ${job.repeatInterval} any more${job.status === 'processing' ? ' (the run going on now finishes, and is its last)' : ''}. One-off jobs of the same name are not touched.`,
      confirmLabel: 'Unschedule',
      danger: true,
      onConfirm: () =>
        change(
          'schedules/unschedule',
          job.uniqueKey === undefined ? { name: job.name } : { name: job.name, uniqueKey: job.uniqueKey },
          `Unscheduled ${which}`,
          `Unschedule ${which}`,
        ),
    });
  };

  return (
    <section aria-labelledby="schedules-title">
      <h1 id="schedules-title">Schedules</h1>
      <p class="subtle">Recurring jobs, by name. Pausing a name also stops its one-off jobs, on every instance.</p>
      {loaded.error && (
        <p class="error-text" role="alert">
          Could not load the schedules: {loaded.error.message}
        </p>
      )}
      <div class="table-wrap">
        <table class="schedules cards">
          <caption class="visually-hidden">Recurring jobs</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Cron</th>
              <th scope="col">Time zone</th>
              <th scope="col">Next run</th>
              <th scope="col">Last run</th>
              <th scope="col">Outcome</th>
              <th scope="col">State</th>
              {!readOnly && (
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {data && data.schedules.length === 0 && (
              <tr class="empty">
                <td colSpan={readOnly ? 7 : 8}>
                  No recurring jobs. Create one with monque.schedule(cron, name, data).
                </td>
              </tr>
            )}
            {data?.schedules.map((job) => {
              const paused = isPaused(job.name);
              const outcome = lastOutcome(job);
              return (
                <tr key={job._id} data-id={job._id} data-name={job.name}>
                  <td data-label="Name" class="key name">
                    {/* One element: on a card the cell is a row of its label and its content. */}
                    <span>
                      <a href={`#/jobs/${job._id}`}>{job.name}</a>
                      {job.uniqueKey && <span class="subtle"> · {job.uniqueKey}</span>}
                    </span>
                  </td>
                  <td data-label="Cron" class="key mono">
                    {job.repeatInterval}
                  </td>
                  <td data-label="Time zone">{job.timezone ?? 'UTC'}</td>
                  <td data-label="Next run">
                    <Time iso={job.nextRunAt} now={now} />
                  </td>
                  <td data-label="Last run">
                    <Time iso={job.startedAt} now={now} />
                    {outcome.durationMs !== undefined && (
                      <span class="subtle"> · took {formatDuration(outcome.durationMs)}</span>
                    )}
                  </td>
                  <td data-label="Outcome" class="key">
                    <Outcome outcome={outcome} />
                  </td>
                  <td data-label="State">
                    {paused ? <span class="badge paused">paused</span> : <span class="badge running">active</span>}
                  </td>
                  {!readOnly && (
                    <td data-label="Actions">
                      <div class="row-actions">
                        {data.paused !== 'all' && (
                          <button
                            type="button"
                            onClick={() =>
                              change(
                                `queues/${paused ? 'resume' : 'pause'}`,
                                { name: job.name },
                                `${paused ? 'Resumed' : 'Paused'} ${job.name}`,
                                `${paused ? 'Resume' : 'Pause'} ${job.name}`,
                              )
                            }
                            aria-label={`${paused ? 'Resume' : 'Pause'} ${job.name}`}
                          >
                            {paused ? 'Resume' : 'Pause'}
                          </button>
                        )}
                        <button
                          type="button"
                          class="danger-outline"
                          onClick={() => unschedule(job)}
                          aria-label={`Unschedule ${job.name}${job.uniqueKey ? ` ${job.uniqueKey}` : ''}`}
                        >
                          Unschedule
                        </button>
                      </div>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {(pages.length > 0 || data?.nextCursor) && (
        <nav class="pager" aria-label="Pages of schedules">
          <button type="button" disabled={pages.length === 0} onClick={() => setPages([])}>
            First page
          </button>
          <button type="button" disabled={pages.length === 0} onClick={() => setPages(pages.slice(0, -1))}>
            Previous
          </button>
          <span>
            Page {pages.length + 1}
            {data?.nextCursor ? ` · more on the next page` : ''}
          </span>
          <button
            type="button"
            disabled={!data?.nextCursor}
            onClick={() => data?.nextCursor && setPages([...pages, data.nextCursor])}
          >
            Next
          </button>
        </nav>
      )}
    </section>
  );
}
