/** What can be done to one job, as its status allows: retry, run now, cancel, delete, reschedule. */
import { useState } from 'preact/hooks';
import { apiPost, failureNotice } from '../api.js';
import { formatExact, fromLocalInput, toLocalInput } from '../format.js';
import { useNotices } from '../notices.js';
import { useRefresh } from '../refresh.js';
import { jobsHash, navigate } from '../router.js';
import type { JobJson } from '../types.js';
import type { ConfirmRequest } from './confirm-dialog.js';

export function JobActions({ job, confirm }: { job: JobJson; confirm(request: ConfirmRequest): void }) {
  const { refreshNow } = useRefresh();
  const { notify } = useNotices();
  const [runAt, setRunAt] = useState('');
  const id = job._id;

  const act = async (action: string, body: Record<string, unknown>, done: string): Promise<void> => {
    try {
      await apiPost(`jobs/${id}/${action}`, body);
      notify('success', done);
      if (action === 'delete') navigate(jobsHash(new URLSearchParams({ name: job.name })));
    } catch (error) {
      notify('error', failureNotice(action, error));
    }
    refreshNow();
  };

  const canRetry = job.status === 'failed' || job.status === 'cancelled';
  const canCancel = job.status === 'waiting' || job.status === 'pending' || job.status === 'processing';
  const canReschedule = job.status === 'pending';
  const canDelete = job.status !== 'processing';

  return (
    <fieldset class="job-actions">
      <legend class="visually-hidden">Job actions</legend>
      {canRetry && (
        <button type="button" class="primary" onClick={() => act('retry', {}, 'Retried: the job is due now')}>
          Retry
        </button>
      )}
      {canReschedule && (
        <button type="button" class="primary" onClick={() => act('reschedule', { runAt: 'now' }, 'The job is due now')}>
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
            if (iso) void act('reschedule', { runAt: iso }, `Rescheduled to ${formatExact(iso)}`);
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
  );
}
