/**
 * Invariants 1, 2 and 4: how every one-off job ends, given what its handler runs did.
 */
import { type CheckResult, clock, describeJob, type Excuse, result } from './check-result.js';
import { type Evidence, FREE_STRETCH_MS, id } from './evidence.js';
import { type ChaosResult, ENGINE, type LedgerRun, maxRetriesOf, WORKERS } from './settings.js';
import { cancelledByDependency } from './workflow-checks.js';

/**
 * The job's claims (since its last retry) that were cut off before their handler could start, each
 * named by the fault that cut it off. Evidence: a recovery found the job still owned by an instance
 * that has no run of it from that claim on (its `lockedAt`, corrected for the owner's clock skew),
 * and from the claim until the recovery the owner never had {@link FREE_STRETCH_MS} at a stretch to
 * start or settle it (a partition, a stall, or its process's death stood in the way). Recovery
 * charges such a claim a failure, and must: it cannot tell it from a handler that crashes its
 * process at once (a poison job). A claim the owner could have settled is not excused: a live
 * instance must start, or give back, a claim whose reply it lost well within `lockTimeout`.
 */
export function claimsCutOffBeforeStart(evidence: Evidence, jobId: string): string[] {
  const boundary = evidence.retryBoundary(jobId);
  const causes: string[] = [];
  for (const recovery of evidence.record.recoveries) {
    if (recovery.jobId !== jobId || (recovery.at ?? Number.POSITIVE_INFINITY) <= boundary) continue;
    if (recovery.lockedAt === null || !evidence.incarnationOf.has(recovery.owner)) continue;
    const claimed = recovery.lockedAt - evidence.skewOf(recovery.owner);
    // A run of this claim started after it (give or take a second of clock reading), and cannot
    // have ended before the claim's turn began: that one was an earlier attempt's.
    const ran = evidence
      .runsOf(jobId)
      .some(
        (run) =>
          run.instanceId === recovery.owner &&
          run.start.getTime() >= claimed - 1_000 &&
          (run.end === undefined || run.end.getTime() >= claimed),
      );
    if (ran) continue;
    const { freeMs, cause } = evidence.freeStretch(
      recovery.owner,
      claimed,
      recovery.at ?? claimed + ENGINE.lockTimeout,
    );
    if (freeMs < FREE_STRETCH_MS) causes.push(cause);
  }
  return causes;
}

/**
 * Why a successful run's result could not be stored by any correct queue, or `undefined`:
 * - its lock genuinely expired BEFORE the handler returned (no claim or renewal of the job from
 *   its instance reached the server for `lockTimeout`, by the proxy's record, while a partition, a
 *   stall or the process's death kept it from renewing: `Evidence.forcedLapse`), and the job was
 *   recovered from that instance (so another claim legitimately replaced the run's);
 * - its process was SIGKILLed by the plan before the outcome could be written (see
 *   `Evidence.outcomeWritable`: 1.5 s after the return, or the outcome writer's longest retry delay
 *   after an outage ended);
 * - its instance's `stop()` had already reached its deadline and given the job back (the handler
 *   ignored its signal): after `stop()` nothing may be written.
 * Cut off after the handler returned by a partition, by contrast, is never excused: the result
 * must be written once the database is back.
 */
export function lostSuccessExcuse(
  evidence: Evidence,
  jobId: string,
  run: LedgerRun,
): { why: string; cause: string } | undefined {
  if (run.outcome !== 'ok' || !run.end) return undefined;
  const end = run.end.getTime();
  const lapse = evidence.forcedLapse(run, end);
  const skew = evidence.skewOf(run.instanceId);
  const recovered = evidence.record.recoveries.some((recovery) => {
    if (recovery.jobId !== jobId || recovery.owner !== run.instanceId || recovery.lockedAt === null) return false;
    const lockedAt = recovery.lockedAt - skew;
    return lockedAt >= run.start.getTime() - ENGINE.lockTimeout && lockedAt <= end;
  });
  if (lapse.forced && recovered) {
    return {
      cause: lapse.cause,
      why: `run ${run._id} on ${run.instanceId} returned at ${clock(end)}, but no claim or renewal of the job from its instance had reached the server for ${lapse.ms} ms since ${clock(lapse.from)} (lockTimeout ${ENGINE.lockTimeout}; it could reach the server for ${lapse.freeMs} ms at most at a stretch): its lock expired before the handler returned, and the job was recovered from it`,
    };
  }
  const givenBack = evidence.givenBackAtStop(run);
  if (givenBack <= end) {
    return {
      cause: `stop() deadline of ${run.instanceId}`,
      why: `run ${run._id} on ${run.instanceId} returned at ${clock(end)}, ${end - givenBack} ms after its instance's stop() reached its deadline and gave the job back (the handler ignored its signal)`,
    };
  }
  const incarnation = evidence.incarnationOf.get(run.instanceId);
  if (incarnation?.exit !== 'killed' || incarnation.exitedAt === undefined || incarnation.exitedAt < end)
    return undefined;
  const { writable, freeMs } = evidence.outcomeWritable(run, incarnation.exitedAt);
  if (writable) return undefined;
  return {
    cause: `SIGKILL of ${run.instanceId}`,
    why: `run ${run._id} on ${run.instanceId} returned at ${clock(end)} and its process was SIGKILLed ${incarnation.exitedAt - end} ms later, having had at most ${freeMs} ms at a stretch to write its outcome`,
  };
}

/** What the evidence says about a successful run whose result was not stored (for the failure message). */
function whyNotStored(evidence: Evidence, jobId: string, run: LedgerRun): string {
  const end = (run.end as Date).getTime();
  const lapse = evidence.forcedLapse(run, end);
  const recoveries = evidence.record.recoveries.filter(
    (recovery) => recovery.jobId === jobId && recovery.owner === run.instanceId,
  );
  const recoveredAt = Math.min(...recoveries.map((recovery) => recovery.at ?? Number.POSITIVE_INFINITY));
  const recovered = recoveries.length === 0 ? 'never recovered from it' : `recovered from it at ${clock(recoveredAt)}`;
  const window = Number.isFinite(recoveredAt) ? evidence.outcomeWritable(run, recoveredAt) : undefined;
  const before = window ? `, having had ${window.freeMs} ms at a stretch to write its outcome before that` : '';
  return `run ${run._id} on ${run.instanceId} succeeded at ${clock(end)} and its result was never stored (before it returned, its lock had gone ${lapse.ms} ms unrefreshed, ${lapse.forced ? 'a genuine expiry' : 'not a genuine expiry'}; ${recovered}${before})`;
}

/**
 * 1. Every one-off job ends as its handler behaved. `completed`: its `result` names one of its
 * successful runs. `cancelled`: the operator cancelled it, or (a job of a workflow) one of its
 * dependencies failed or was cancelled (see invariant 15). `failed`: no successful run (since its
 * last retry) unless its result provably could not be stored (see {@link lostSuccessExcuse}), at
 * least its maxRetries unsuccessful attempts, and never more failures charged than its worker's
 * policy allows. Anything else is unfinished. Deleted jobs are judged as read before deletion.
 */
export function endsAsHandlerBehaved(evidence: Evidence): CheckResult {
  const failures: string[] = [];
  const excuses: Excuse[] = [];
  const jobs = evidence.oneOffJobs(WORKERS.recurring.name);
  const counts = new Map<string, number>();
  let unexpected = 0;
  for (const job of jobs) {
    const failuresBefore = failures.length;
    const jobId = id(job._id);
    const runs = evidence.runsSinceRetry(jobId);
    const describe = (): string => describeJob(job, evidence.runsOf(jobId));
    const successes = runs.filter((run) => run.outcome === 'ok');
    const max = maxRetriesOf(job.data.kind);
    counts.set(job.status, (counts.get(job.status) ?? 0) + 1);
    if (job.status === 'completed') {
      const stored = (job.result as Partial<ChaosResult> | undefined)?.run;
      if (stored === undefined) failures.push(`${describe()}: completed without a stored result`);
      else if (!successes.some((run) => run._id === stored))
        failures.push(`${describe()}: completed with the result of no successful run (${String(stored)})`);
    } else if (job.status === 'cancelled') {
      if (!evidence.cancels.has(jobId) && !cancelledByDependency(evidence, job))
        failures.push(`${describe()}: cancelled, but neither the operator nor a failed or cancelled dependency did it`);
    } else if (job.status === 'failed') {
      let lost = 0;
      for (const success of successes) {
        const excuse = lostSuccessExcuse(evidence, jobId, success);
        if (excuse) {
          lost += 1;
          excuses.push({ jobId, cause: excuse.cause, why: `success lost: ${excuse.why}` });
        } else {
          failures.push(`${describe()}: failed although ${whyNotStored(evidence, jobId, success)}`);
        }
      }
      const unsuccessful =
        runs.filter((run) => run.outcome !== 'ok').length + lost + claimsCutOffBeforeStart(evidence, jobId).length;
      if (unsuccessful < max)
        failures.push(`${describe()}: failed after ${unsuccessful} unsuccessful attempts (maxRetries ${max})`);
    } else {
      failures.push(`${describe()}: not finished`);
    }
    if ((job.failCount ?? 0) > max) {
      failures.push(
        `${describe()}: charged ${job.failCount} failures, more than its worker's maxRetries ${max} (another policy was applied)`,
      );
    }
    if (failures.length > failuresBefore) unexpected += 1;
  }
  const byStatus = [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
  return result(
    '1. every one-off job ends as its handler behaved, with its result stored',
    failures,
    `${jobs.length - unexpected}/${jobs.length} as expected (${byStatus || 'none'}; ${evidence.deleted.size} of them deleted by the operator, judged as read before)`,
    { excuses },
  );
}

/** 2. No job is left `processing`. */
export function nothingLeftProcessing(evidence: Evidence): CheckResult {
  const jobs = evidence.record.jobs;
  const processing = jobs.filter((job) => job.status === 'processing');
  return result(
    '2. no job is left processing',
    processing.map((job) => `${describeJob(job, evidence.runsOf(id(job._id)))}, owner ${job.owner ?? '-'}`),
    `${processing.length} processing of ${jobs.length} jobs`,
  );
}

/**
 * 4. A job's failCount never exceeds its runs started since its last retry (less the final
 * successful one of a completed job), plus its claims cut off before the handler started (see
 * {@link claimsCutOffBeforeStart}), plus one for a job planted `processing` by another tool.
 */
export function noFailureWithoutStart(evidence: Evidence): CheckResult {
  const failures: string[] = [];
  const excuses: Excuse[] = [];
  let charged = 0;
  const jobs = [
    ...evidence.record.jobs.filter((job) => job.name === WORKERS.recurring.name),
    ...evidence.oneOffJobs(WORKERS.recurring.name),
  ];
  for (const job of jobs) {
    const jobId = id(job._id);
    const runs = evidence.runsSinceRetry(jobId);
    const failCount = job.failCount ?? 0;
    charged += failCount;
    const started = runs.length - (job.status === 'completed' ? 1 : 0);
    const cutOff = claimsCutOffBeforeStart(evidence, jobId);
    // A planted orphan's recovery charges the failure of whatever run "another tool" had.
    const killed = cutOff.length + (evidence.record.orphans.includes(jobId) ? 1 : 0);
    for (const cause of cutOff.slice(0, Math.max(0, failCount - started))) {
      excuses.push({
        jobId,
        cause,
        why: `a failure charged for a claim cut off (${cause}) before its handler could start (indistinguishable from a crash at start)`,
      });
    }
    if (failCount > started + killed) {
      const recoveries = evidence.record.recoveries.filter((recovery) => recovery.jobId === jobId);
      const recovered = recoveries.map((recovery) => {
        if (recovery.lockedAt === null) return recovery.owner;
        const claimed = recovery.lockedAt - evidence.skewOf(recovery.owner);
        const { freeMs } = evidence.freeStretch(recovery.owner, claimed, recovery.at ?? claimed);
        return `${recovery.owner} (claimed at ${clock(claimed)}, which could reach the server for ${freeMs} ms at a stretch before the recovery)`;
      });
      failures.push(
        `${describeJob(job, evidence.runsOf(jobId))}: ${failCount - started - killed} failure(s) charged without a run${recovered.length ? `; recovered from ${recovered.join(', ')}` : ''}`,
      );
    }
  }
  return result(
    '4. no failure is charged for a run that never started',
    failures,
    `${failures.length} jobs charged more failures than runs started (${charged} failures charged in all)`,
    { excuses },
  );
}
