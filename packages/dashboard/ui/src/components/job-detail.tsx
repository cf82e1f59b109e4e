/** One job: its fields, data, result, progress and failure, with the actions its status allows. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, apiGet, apiPost } from '../api.js';
import { formatJson, formatTime, fromLocalInput, toLocalInput } from '../format.js';
import { useNotices } from '../notices.js';
import { usePolled, useRefresh } from '../refresh.js';
import { jobsHash, navigate } from '../router.js';
import type { JobJson } from '../types.js';
import type { ConfirmRequest } from './confirm-dialog.js';
import { StatusBadge } from './status-badge.js';

function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

function Progress({ value }: { value: JobJson['progress'] }) {
  if (value === undefined) return <>—</>;
  if (typeof value === 'number') {
    return (
      <span class="progress">
        <progress max={100} value={Math.max(0, Math.min(100, value))} aria-label="Progress" /> {value}%
      </span>
    );
  }
  return <pre class="json">{formatJson(value)}</pre>;
}

export function JobDetail({
  id,
  readOnly,
  confirm,
}: {
  id: string;
  readOnly: boolean;
  confirm(request: ConfirmRequest): void;
}) {
  const loaded = usePolled(() => apiGet<{ job: JobJson }>(`jobs/${id}`), `job:${id}`);
  const { refreshNow } = useRefresh();
  const { notify } = useNotices();
  const [runAt, setRunAt] = useState('');

  if (loaded.error instanceof ApiError && loaded.error.status === 404) {
    return (
      <section>
        <h1>Job not found</h1>
        <p>There is no job with id {id} (it may have been deleted).</p>
        <p>
          <a href="#/jobs">Back to the job list</a>
        </p>
      </section>
    );
  }
  const job = loaded.data?.job;
  if (!job) {
    return (
      <section>
        <h1>Job {id}</h1>
        {loaded.error ? (
          <p class="error-text" role="alert">
            {loaded.error.message}
          </p>
        ) : (
          <p>Loading…</p>
        )}
      </section>
    );
  }

  const act = async (action: string, body: Record<string, unknown>, done: string): Promise<void> => {
    try {
      await apiPost(`jobs/${id}/${action}`, body);
      notify('success', done);
      if (action === 'delete') navigate(jobsHash(new URLSearchParams({ name: job.name })));
    } catch (error) {
      notify('error', `${action} failed: ${(error as Error).message}`);
    }
    refreshNow();
  };

  const canRetry = job.status === 'failed' || job.status === 'cancelled';
  const canCancel = job.status === 'pending' || job.status === 'processing';
  const canReschedule = job.status === 'pending';
  const canDelete = job.status !== 'processing';

  return (
    <section aria-labelledby="job-title">
      <p class="crumbs">
        <a href={jobsHash(new URLSearchParams({ name: job.name }))}>← {job.name} jobs</a>
      </p>
      <h1 id="job-title">
        {job.name} <StatusBadge status={job.status} />
      </h1>
      <p class="mono subtle">{job._id}</p>
      {job.cancelRequestedAt && job.status === 'processing' && (
        <p class="banner" role="status">
          Cancellation requested {formatTime(job.cancelRequestedAt)}: the handler is being stopped.
        </p>
      )}
      {!readOnly && (
        <fieldset class="job-actions">
          <legend class="visually-hidden">Job actions</legend>
          {canRetry && (
            <button type="button" class="primary" onClick={() => act('retry', {}, 'Retried: the job is due now')}>
              Retry
            </button>
          )}
          {canReschedule && (
            <button
              type="button"
              class="primary"
              onClick={() => act('reschedule', { runAt: 'now' }, 'The job is due now')}
            >
              Run now
            </button>
          )}
          {canCancel && (
            <button
              type="button"
              class="danger-outline"
              onClick={() =>
                confirm({
                  title: 'Cancel this job?',
                  message:
                    job.status === 'processing'
                      ? 'The running handler is asked to stop (its signal aborts); the job ends cancelled and is not retried.'
                      : 'The job will not run unless retried.',
                  confirmLabel: 'Cancel job',
                  danger: true,
                  onConfirm: () => act('cancel', {}, 'Cancelled'),
                })
              }
            >
              Cancel
            </button>
          )}
          {canDelete && (
            <button
              type="button"
              class="danger-outline"
              onClick={() =>
                confirm({
                  title: 'Delete this job?',
                  message: 'The job document is removed for good.',
                  confirmLabel: 'Delete job',
                  danger: true,
                  onConfirm: () => act('delete', {}, 'Deleted'),
                })
              }
            >
              Delete
            </button>
          )}
          {canReschedule && (
            <form
              class="reschedule"
              onSubmit={(event) => {
                event.preventDefault();
                const iso = fromLocalInput(runAt);
                if (iso) void act('reschedule', { runAt: iso }, `Rescheduled to ${formatTime(iso)}`);
              }}
            >
              <label>
                <span>Run at</span>
                <input
                  type="datetime-local"
                  value={runAt || toLocalInput(job.nextRunAt)}
                  onInput={(event) => setRunAt(event.currentTarget.value)}
                />
              </label>
              <button type="submit">Reschedule</button>
            </form>
          )}
        </fieldset>
      )}
      <div class="detail-grid">
        <dl class="fields">
          <Field label="Status">{job.status}</Field>
          <Field label="Next run">{formatTime(job.nextRunAt)}</Field>
          <Field label="Attempts">{job.attempts ?? 0}</Field>
          <Field label="Fail count">
            {job.failCount}
            {job.maxRetries !== undefined ? ` of ${job.maxRetries}` : ''}
          </Field>
          {job.priority !== undefined && <Field label="Priority">{job.priority}</Field>}
          {job.repeatInterval && (
            <Field label="Cron">
              {job.repeatInterval}
              {job.timezone ? ` (${job.timezone})` : ''}
            </Field>
          )}
          {job.uniqueKey && <Field label="Unique key">{job.uniqueKey}</Field>}
          {job.owner && <Field label="Owner">{job.owner}</Field>}
          <Field label="Created">{formatTime(job.createdAt)}</Field>
          <Field label="Updated">{formatTime(job.updatedAt)}</Field>
          {job.startedAt && <Field label="Started">{formatTime(job.startedAt)}</Field>}
          {job.lockedAt && <Field label="Locked">{formatTime(job.lockedAt)}</Field>}
          {job.completedAt && <Field label="Completed">{formatTime(job.completedAt)}</Field>}
          {job.finishedAt && <Field label="Finished">{formatTime(job.finishedAt)}</Field>}
          {job.cancelReason && <Field label="Cancel reason">{job.cancelReason}</Field>}
          <Field label="Progress">
            <Progress value={job.progress} />
          </Field>
        </dl>
        <div class="blocks">
          {job.failReason && (
            <div class="block fail">
              <h2>Fail reason</h2>
              <pre class="json">{job.failReason}</pre>
            </div>
          )}
          <div class="block">
            <h2>Data</h2>
            <pre class="json">{formatJson(job.data)}</pre>
          </div>
          {job.result !== undefined && (
            <div class="block">
              <h2>Result</h2>
              <pre class="json">{formatJson(job.result)}</pre>
            </div>
          )}
        </div>
      </div>
    </section>
  );
}
