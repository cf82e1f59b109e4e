/**
 * One job: its fields, data, result, progress, the last failure and every failed attempt, with the
 * actions its status allows. Fields a job does not have are left out, so fields added later (a
 * group, dependencies, limits) slot in as more rows and blocks.
 */
import type { ComponentChildren } from 'preact';
import { ApiError, apiGet } from '../api.js';
import { formatDuration, formatJson, runDuration } from '../format.js';
import { usePolled } from '../refresh.js';
import { jobsHash } from '../router.js';
import type { JobJson } from '../types.js';
import { AttemptHistory } from './attempt-history.js';
import type { ConfirmRequest } from './confirm-dialog.js';
import { JobActions } from './job-actions.js';
import { StatusBadge } from './status-badge.js';
import { Time, useNow } from './time.js';
import { inWorkflow, WorkflowPanel } from './workflow-panel.js';

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

function Fields({ job, now }: { job: JobJson; now: number }) {
  const duration = runDuration(job, now);
  const at = (iso: string | undefined) => <Time iso={iso} now={now} exact />;
  return (
    <dl class="fields">
      <Field label="Status">{job.status}</Field>
      {(job.status === 'pending' || job.status === 'processing' || job.status === 'waiting') && (
        <Field label={job.status === 'waiting' ? 'Runs at the earliest' : 'Next run'}>{at(job.nextRunAt)}</Field>
      )}
      <Field label="Attempts">{job.attempts ?? 0}</Field>
      <Field label="Fail count">
        {job.failCount}
        {job.maxRetries !== undefined ? ` of ${job.maxRetries}` : ''}
      </Field>
      {job.priority !== undefined && <Field label="Priority">{job.priority}</Field>}
      {job.repeatInterval && (
        <Field label="Cron">
          <span class="mono">{job.repeatInterval}</span> ({job.timezone ?? 'UTC'})
        </Field>
      )}
      {job.uniqueKey && <Field label="Unique key">{job.uniqueKey}</Field>}
      {job.group && (
        <Field label="Group">
          <a href={jobsHash(new URLSearchParams({ group: job.group }))}>{job.group}</a>
        </Field>
      )}
      {job.owner && <Field label="Owner">{job.owner}</Field>}
      <Field label="Created">{at(job.createdAt)}</Field>
      <Field label="Updated">{at(job.updatedAt)}</Field>
      {job.startedAt && <Field label="Started">{at(job.startedAt)}</Field>}
      {job.lockedAt && <Field label="Locked">{at(job.lockedAt)}</Field>}
      {job.completedAt && <Field label="Completed">{at(job.completedAt)}</Field>}
      {job.finishedAt && <Field label="Finished">{at(job.finishedAt)}</Field>}
      {duration !== undefined && (
        <Field label={job.status === 'processing' ? 'Running for' : 'Duration'}>{formatDuration(duration)}</Field>
      )}
      {job.cancelReason && <Field label="Cancel reason">{job.cancelReason}</Field>}
      {job.deadLetter && <Field label="Dead letter">{job.deadLetter}</Field>}
      {job.deadLetterOf && (
        <Field label="Dead letter of">
          <a href={`#/jobs/${job.deadLetterOf.jobId}`}>{job.deadLetterOf.name}</a> (failed {job.deadLetterOf.failCount}{' '}
          times)
        </Field>
      )}
      <Field label="Progress">
        <Progress value={job.progress} />
      </Field>
    </dl>
  );
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
  const now = useNow();

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

  return (
    <section aria-labelledby="job-title">
      <p class="crumbs">
        <a href={jobsHash(new URLSearchParams({ name: job.name }))}>← {job.name} jobs</a>
      </p>
      <h1 id="job-title">
        <span class="job-name">{job.name}</span> <StatusBadge status={job.status} />
      </h1>
      <p class="mono subtle">{job._id}</p>
      {job.cancelRequestedAt && job.status === 'processing' && (
        <p class="banner" role="status">
          Cancellation requested <Time iso={job.cancelRequestedAt} now={now} />: the handler is being stopped.
        </p>
      )}
      {!readOnly && <JobActions job={job} confirm={confirm} />}
      <div class="detail-grid">
        <Fields job={job} now={now} />
        <div class="blocks">
          {job.failReason && (
            <div class={job.status === 'failed' ? 'block fail' : 'block'}>
              <h2>{job.status === 'failed' ? 'Fail reason' : 'Last failure'}</h2>
              <pre class="json">{job.failReason}</pre>
            </div>
          )}
          {job.errors && job.errors.length > 0 && <AttemptHistory errors={job.errors} now={now} />}
          {inWorkflow(job) && <WorkflowPanel job={job} />}
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
