/**
 * Invariants 13 to 15: the jobs of workflows (enqueued with `dependsOn`) wait for their
 * dependencies, are released once those completed, and are cancelled when one of them failed or
 * was cancelled (unless they were enqueued with `onDependencyFailure: 'run'`).
 *
 * A dependency's completion is dated by the end of the run whose result it stores: its outcome was
 * written after that. A dependent's claim is dated by its run's start: it was claimed before that.
 * So a dependent's run that started before its dependency's successful run returned was certainly
 * claimed before the dependency completed. (Workflow jobs are never retried nor deleted by the
 * operator, so a dependency's last status is how it ended.)
 */
import type { ObjectId } from 'mongodb';
import { type CheckResult, clock, describeJob, result } from './check-result.js';
import { type Evidence, id, type JobRecord } from './evidence.js';
import type { ChaosResult, LedgerRun } from './settings.js';

const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const FAILED = new Set(['failed', 'cancelled']);

/** A job of a workflow and its dependencies as they ended (`undefined`: not found). */
interface Dependent {
  readonly job: JobRecord;
  readonly runAnyway: boolean;
  readonly dependencies: readonly { readonly jobId: string; readonly job: JobRecord | undefined }[];
}

/** Every job that has dependencies, with them. */
export function dependentsOf(evidence: Evidence): Dependent[] {
  const dependents: Dependent[] = [];
  for (const job of evidence.record.jobs) {
    const dependsOn = (job.dependsOn ?? []) as readonly (ObjectId | string)[];
    if (dependsOn.length === 0) continue;
    dependents.push({
      job,
      runAnyway: job.onDependencyFailure === 'run',
      dependencies: dependsOn.map((dependency) => ({
        jobId: id(dependency),
        job: evidence.inCollection(id(dependency)) ?? evidence.deleted.get(id(dependency))?.snapshot,
      })),
    });
  }
  return dependents;
}

/** The run whose result a completed job stores, when the ledger has it. */
function storedRun(evidence: Evidence, job: JobRecord): LedgerRun | undefined {
  const stored = (job.result as Partial<ChaosResult> | undefined)?.run;
  return evidence.runsOf(id(job._id)).find((run) => run._id === stored);
}

const label = (job: JobRecord | undefined, jobId: string): string =>
  job ? `${jobId} (${job.data.wf ?? '?'}, ${job.status})` : `${jobId} (not found)`;

/**
 * 13. No dependent starts before all its dependencies completed: each of its runs started after the
 * successful run of every dependency returned (whose result that dependency stores). With
 * `onDependencyFailure: 'run'`, a dependency may also have failed or been cancelled, but none of
 * its runs starts after the dependent's (it was settled when the dependent was claimed).
 */
export function dependentsWaitForDependencies(evidence: Evidence): CheckResult {
  const failures: string[] = [];
  let runs = 0;
  const dependents = dependentsOf(evidence);
  for (const { job, runAnyway, dependencies } of dependents) {
    const jobId = id(job._id);
    for (const run of evidence.runsOf(jobId)) {
      runs += 1;
      const started = run.start.getTime();
      const blame = (why: string): void => {
        failures.push(
          `${describeJob(job, evidence.runsOf(jobId))} (${job.data.wf ?? '?'}${runAnyway ? ", onDependencyFailure 'run'" : ''}): run ${run._id} on ${run.instanceId} started at ${clock(started)}, ${why}`,
        );
      };
      for (const { jobId: dependencyId, job: dependency } of dependencies) {
        if (!dependency) {
          blame(`but its dependency ${dependencyId} is not found`);
          continue;
        }
        if (dependency.status === 'completed') {
          const success = storedRun(evidence, dependency);
          if (success?.end && success.end.getTime() > started)
            blame(
              `before its dependency ${label(dependency, dependencyId)} completed: that one's successful run returned at ${clock(success.end)}`,
            );
        } else if (!runAnyway || !FINISHED.has(dependency.status)) {
          blame(`although its dependency ${label(dependency, dependencyId)} never completed`);
        }
        if (!runAnyway) continue;
        const later = evidence.runsOf(dependencyId).find((other) => other.start.getTime() > started);
        if (later)
          blame(
            `before its dependency ${label(dependency, dependencyId)} settled: that one ran again at ${clock(later.start)}`,
          );
      }
    }
  }
  return result(
    '13. no dependent starts before all its dependencies completed',
    failures,
    `${runs} runs of ${dependents.length} dependents checked, ${failures.length} started too early`,
  );
}

/**
 * 14. No dependent is left `waiting` once its dependencies settled: not when they all completed
 * (it must be released), not when one of them failed or was cancelled (it must end `cancelled`, or
 * with `onDependencyFailure: 'run'` run). By the end every dependency has settled.
 */
export function noDependentLeftWaiting(evidence: Evidence): CheckResult {
  const failures: string[] = [];
  const dependents = dependentsOf(evidence);
  for (const { job, dependencies } of dependents) {
    if (job.status !== 'waiting') continue;
    const statuses = dependencies.map(({ jobId, job: dependency }) => label(dependency, jobId)).join(', ');
    const settled = dependencies.every(({ job: dependency }) => dependency && FINISHED.has(dependency.status));
    failures.push(
      `${describeJob(job, evidence.runsOf(id(job._id)))} (${job.data.wf ?? '?'}): left waiting ${settled ? 'although every dependency settled' : 'with a dependency unsettled'}: ${statuses}`,
    );
  }
  return result(
    '14. no dependent is left waiting once its dependencies settled',
    failures,
    `${dependents.filter(({ job }) => job.status === 'waiting').length} of ${dependents.length} dependents left waiting`,
  );
}

/**
 * 15. Every dependent of a dependency that ended `failed` or `cancelled` ends `cancelled`, its
 * `cancelReason` naming such a dependency (or the operator's cancellation of the dependent itself),
 * unless it was enqueued with `onDependencyFailure: 'run'`: then it runs anyway (and is cancelled
 * only by the operator).
 */
export function dependentsOfFailuresCancelled(evidence: Evidence): CheckResult {
  const failures: string[] = [];
  let cancelled = 0;
  let ranAnyway = 0;
  for (const { job, runAnyway, dependencies } of dependentsOf(evidence)) {
    const jobId = id(job._id);
    const failed = dependencies.filter(({ job: dependency }) => dependency && FAILED.has(dependency.status));
    if (failed.length === 0) continue;
    const described = `${describeJob(job, evidence.runsOf(jobId))} (${job.data.wf ?? '?'})`;
    const named = failed.map(({ jobId: dependencyId, job: dependency }) => label(dependency, dependencyId)).join(', ');
    const byOperator = evidence.cancels.has(jobId);
    if (runAnyway) {
      ranAnyway += 1;
      if (job.status === 'cancelled' && !byOperator)
        failures.push(`${described}: onDependencyFailure 'run', yet cancelled (${job.cancelReason ?? 'no reason'})`);
      continue;
    }
    if (job.status !== 'cancelled') {
      failures.push(`${described}: ended ${job.status} although its dependency ${named} did not complete`);
      continue;
    }
    cancelled += 1;
    const reason = job.cancelReason ?? '';
    if (!byOperator && !failed.some(({ jobId: dependencyId }) => reason.includes(dependencyId)))
      failures.push(`${described}: cancelled, but its cancelReason ('${reason}') names none of ${named}`);
  }
  return result(
    "15. every dependent of a failed or cancelled dependency ends cancelled (unless onDependencyFailure 'run')",
    failures,
    `${cancelled} dependents cancelled by a dependency, ${ranAnyway} with 'run' whose dependency failed, ${failures.length} wrong`,
  );
}

/** Whether the job was cancelled because a dependency failed or was cancelled (for invariant 1). */
export function cancelledByDependency(evidence: Evidence, job: JobRecord): boolean {
  if (job.status !== 'cancelled' || job.onDependencyFailure === 'run') return false;
  return ((job.dependsOn ?? []) as readonly (ObjectId | string)[]).some((dependency) => {
    const found = evidence.inCollection(id(dependency)) ?? evidence.deleted.get(id(dependency))?.snapshot;
    return found !== undefined && FAILED.has(found.status);
  });
}
