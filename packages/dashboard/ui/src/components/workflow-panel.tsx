/**
 * A job's place in a workflow, on its page: the flow it belongs to (how many of its jobs are done,
 * with a link to the root), the jobs it waits for and the jobs waiting for it, each with its status
 * and a link. Read with one request (`GET jobs/:id/workflow`), refreshed with the page.
 */
import { apiGet } from '../api.js';
import { usePolled } from '../refresh.js';
import type { JobJson, WorkflowJson } from '../types.js';
import { StatusBadge } from './status-badge.js';

function JobLinks({ jobs, total, empty }: { jobs: JobJson[]; total: number; empty: string }) {
  if (total === 0) return <p class="subtle">{empty}</p>;
  const missing = total - jobs.length;
  return (
    <ul class="job-links">
      {jobs.map((job) => (
        <li key={job._id}>
          <StatusBadge status={job.status} />{' '}
          <a href={`#/jobs/${job._id}`} title={job._id}>
            {job.name}
          </a>{' '}
          <span class="mono subtle">{job._id.slice(-8)}</span>
        </li>
      ))}
      {missing > 0 && <li class="subtle">and {missing} more not listed (deleted, or beyond the first 100)</li>}
    </ul>
  );
}

/** Whether `job` takes part in a workflow (the panel is shown only then). */
export function inWorkflow(job: JobJson): boolean {
  return Boolean(job.dependsOn?.length || job.dependents || job.flowId);
}

export function WorkflowPanel({ job }: { job: JobJson }) {
  const loaded = usePolled(() => apiGet<WorkflowJson>(`jobs/${job._id}/workflow`), `workflow:${job._id}`);
  const workflow = loaded.data;
  return (
    <section class="block workflow" aria-labelledby="workflow-title">
      <h2 id="workflow-title">Workflow</h2>
      {!workflow ? (
        <p class={loaded.error ? 'error-text' : 'subtle'}>{loaded.error ? loaded.error.message : 'Loading…'}</p>
      ) : (
        <>
          {workflow.flow && (
            <p class="flow-progress">
              <a href={`#/jobs/${workflow.flow.rootId}`}>Flow</a>: {workflow.flow.completed} of {workflow.flow.total}{' '}
              done{' '}
              <progress
                max={workflow.flow.total}
                value={workflow.flow.completed}
                aria-label={`Flow progress: ${workflow.flow.completed} of ${workflow.flow.total} done`}
              />
            </p>
          )}
          <h3>Waits for ({workflow.dependencyCount})</h3>
          {workflow.dependencyCount > 0 && (
            <p class="subtle">
              When one does not complete: {job.onDependencyFailure === 'run' ? 'it runs anyway' : 'it is cancelled'}.
            </p>
          )}
          <JobLinks jobs={workflow.dependencies} total={workflow.dependencyCount} empty="Nothing." />
          <h3>Waited for by ({workflow.dependentCount})</h3>
          <JobLinks jobs={workflow.dependents} total={workflow.dependentCount} empty="No job." />
        </>
      )}
    </section>
  );
}
