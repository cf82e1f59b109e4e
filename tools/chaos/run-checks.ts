/**
 * Invariants 3, 5, 6 and 7: when a job may run again, the schedules, and the processes' ends.
 */
import { type CheckResult, clock, describeJob, type Excuse, result } from './check-result.js';
import { type Evidence, id } from './evidence.js';
import { ENGINE, type LedgerRun, SCHEDULES, WORKERS } from './settings.js';

/** Whether `first`'s instance gave the job back at its `stop()` deadline before `second` started. */
function handedBackAtStop(evidence: Evidence, first: LedgerRun, second: LedgerRun): boolean {
  return evidence.givenBackAtStop(first) <= second.start.getTime();
}

/** Whether the operator retried the job (possibly) between `from` and `to`. */
function retriedBetween(evidence: Evidence, jobId: string, from: number, to: number): boolean {
  return (evidence.retries.get(jobId) ?? []).some((retry) => retry.start < to && (retry.appliedAt ?? to) > from);
}

/**
 * 3. A job runs again only when it may. Two runs of one job never overlap, unless the first run's
 * lock genuinely expired (see `Evidence.forcedLapse`) before the second was claimed, or the first
 * run's instance gave the job back at its `stop()` deadline (a handler that ignores its signal
 * works on until its process exits). And a one-off job never runs again after a successful run,
 * unless that run's lock genuinely expired first (before the handler returned, or after it while
 * a partition or the process's death kept its outcome from being written: `Evidence.outcomeWritable`,
 * and another instance ran it again: the instance holding a success whose lock was still valid when
 * the handler returned never runs the job again itself), its instance gave the job back at its
 * `stop()` deadline before the handler returned, or the operator retried the job in between.
 */
export function runsAgainOnlyWhenAllowed(evidence: Evidence): CheckResult {
  const failures: string[] = [];
  const excuses: Excuse[] = [];
  let overlaps = 0;
  let handedBack = 0;
  for (const job of [...evidence.record.jobs, ...[...evidence.deleted.values()].map((d) => d.snapshot)]) {
    const jobId = id(job._id);
    const runs = evidence.runsOf(jobId);
    const recurring = job.name === WORKERS.recurring.name;
    for (let i = 0; i < runs.length; i += 1) {
      const first = runs[i] as LedgerRun;
      for (let j = i + 1; j < runs.length; j += 1) {
        const second = runs[j] as LedgerRun;
        const claimed = Math.min(evidence.claimedAt(second), second.start.getTime());
        const overlapping = second.start.getTime() < evidence.endOf(first);
        const rerunAfterSuccess = !recurring && !overlapping && j === i + 1 && first.outcome === 'ok';
        if (!overlapping && !rerunAfterSuccess) continue;
        if (overlapping) overlaps += 1;
        if (handedBackAtStop(evidence, first, second)) {
          handedBack += 1;
          continue;
        }
        if (rerunAfterSuccess && retriedBetween(evidence, jobId, evidence.endOf(first), second.start.getTime()))
          continue;
        const lapse = evidence.forcedLapse(first, claimed);
        const what = overlapping
          ? `${first.instanceId} and ${second.instanceId} ran it at once (from ${clock(second.start)})`
          : `run ${second._id} on ${second.instanceId} started at ${clock(second.start)} after run ${first._id} on ${first.instanceId} had succeeded at ${clock(first.end as Date)}`;
        // A success re-run: its lock must have expired before it returned, or its outcome could not
        // be written before the job was taken (cut off after the return by a partition or a kill).
        const written =
          rerunAfterSuccess && !evidence.forcedLapse(first, evidence.endOf(first)).forced
            ? evidence.outcomeWritable(first, claimed)
            : { writable: false, freeMs: 0 };
        const reclaimedByItself =
          rerunAfterSuccess &&
          second.instanceId === first.instanceId &&
          !evidence.forcedLapse(first, evidence.endOf(first)).forced;
        if (reclaimedByItself) {
          failures.push(
            `${describeJob(job, runs)}: ${what}: the instance that held that success, not yet written, ran the job again (its lock had not expired when the handler returned; the success must be written once the database is back, not run again)`,
          );
        } else if (written.writable) {
          failures.push(
            `${describeJob(job, runs)}: ${what}, although its instance had ${written.freeMs} ms at a stretch to write that run's outcome`,
          );
        } else if (lapse.forced) {
          excuses.push({
            jobId,
            cause: lapse.cause,
            why: `${what}: no claim or renewal of it from ${first.instanceId}'s instance reached the server for ${lapse.ms} ms from ${clock(lapse.from)}, and it could not for more than ${lapse.freeMs} ms at a stretch (a genuine lock expiry)`,
          });
        } else if (lapse.ms >= ENGINE.lockTimeout) {
          failures.push(
            `${describeJob(job, runs)}: ${what}; its lock went ${lapse.ms} ms unrenewed from ${clock(lapse.from)} although its instance could reach the server for ${lapse.freeMs} ms at a stretch`,
          );
        } else {
          failures.push(`${describeJob(job, runs)}: ${what}, its lock last refreshed ${lapse.ms} ms before`);
        }
      }
    }
  }
  return result(
    '3. a job runs again only after a genuine lock expiry (no overlap, no re-run of a success)',
    failures,
    `${failures.length} forbidden runs among ${evidence.record.runs.length} runs (${overlaps} overlapping pairs)`,
    {
      excuses,
      note: `${handedBack} runs again followed a run given back at stop()'s deadline, which worked on until its process exited`,
    },
  );
}

/** 5. Each schedule is one document. */
export function schedulesStaySingle(evidence: Evidence): CheckResult {
  const failures: string[] = [];
  const counts = SCHEDULES.map((schedule) => {
    const docs = evidence.record.jobs.filter(
      (job) => job.name === WORKERS.recurring.name && job.uniqueKey === schedule.uniqueKey,
    );
    if (docs.length !== 1) failures.push(`schedule '${schedule.uniqueKey}': ${docs.length} documents`);
    return `${schedule.uniqueKey}: ${docs.length}`;
  });
  return result(
    '5. each schedule stays a single job document',
    failures,
    `documents per schedule: ${counts.join(', ')}`,
  );
}

/**
 * 6. No handler starts after its instance's `stop()` resolved, and none is still running then,
 * except the runs `stop()` reported unfinished at its deadline (given back; cut off at exit).
 */
export function nothingRunsAfterStop(evidence: Evidence): CheckResult {
  const failures: string[] = [];
  let givenBack = 0;
  for (const run of evidence.record.runs) {
    const stoppedAt = evidence.incarnationOf.get(run.instanceId)?.stoppedAt;
    if (stoppedAt === undefined) continue;
    const jobId = id(run.jobId);
    if (run.start.getTime() > stoppedAt) {
      failures.push(
        `run of ${jobId} on ${run.instanceId} started ${run.start.getTime() - stoppedAt} ms after stop() resolved`,
      );
    } else if (!run.end || run.end.getTime() > stoppedAt) {
      const reported = evidence.record.shutdowns.some(
        (shutdown) => shutdown.instanceId === run.instanceId && shutdown.jobIds.includes(jobId),
      );
      if (reported) givenBack += 1;
      else failures.push(`run of ${jobId} on ${run.instanceId} was still running when stop() resolved, unreported`);
    }
  }
  const stopped = evidence.record.incarnations.filter((incarnation) => incarnation.stoppedAt !== undefined).length;
  return result(
    '6. nothing runs after stop() resolved',
    failures,
    `${failures.length} runs after stop() in ${stopped} stopped instances`,
    { note: `${givenBack} runs were still working at stop()'s deadline and were reported unfinished (given back)` },
  );
}

/**
 * 7. A process exits only when killed by the plan or after it was told to stop; a stopped instance
 * exits by itself once `stop()` resolved and its clients are closed (nothing of Monque's keeps it).
 */
export function processesExitWhenTold(evidence: Evidence): CheckResult {
  const { incarnations, clients } = evidence.record;
  const failures: string[] = [];
  for (const incarnation of incarnations) {
    if (incarnation.exit === 'crashed')
      failures.push(`${incarnation.instanceId} exited on its own (${incarnation.exitDetail ?? '?'})`);
    else if (incarnation.exit === 'hung-after-stop')
      failures.push(`${incarnation.instanceId} was still alive 5 s after stop() resolved and its clients closed`);
    else if (incarnation.exit === 'killed-after-stop-timeout')
      failures.push(`${incarnation.instanceId}: stop() did not finish in time; killed`);
  }
  for (const client of clients) {
    if (client.exit === 'crashed') failures.push(`${client.clientId} exited on its own (${client.exitDetail ?? '?'})`);
    else if (client.exit === 'killed-after-stop-timeout')
      failures.push(`${client.clientId} did not finish in time; killed`);
  }
  const killed = incarnations.filter((incarnation) => incarnation.exit === 'killed').length;
  return result(
    '7. processes exit only when told to',
    failures,
    `${incarnations.length} instance processes (${killed} killed by the plan) and ${clients.length} producers/operators, ${failures.length} crashed or hung`,
  );
}
