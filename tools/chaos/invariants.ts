/**
 * The invariants a chaos run checks once everything is quiet, from the jobs collection, the ledger
 * of handler runs, what the producers' and the operator's calls returned or threw, and what the
 * orchestrator saw (incarnations, claims and renewals reaching the server, recoveries, partitions).
 *
 * A check may excuse a case only when recorded evidence proves that no correct queue could have
 * done better (a lock that genuinely expired, a process killed at the worst moment); every excused
 * case is listed with its job id, and a run with more than a handful of excuses fails.
 */
import type { CheckResult, Excuse } from './check-result.js';
import {
  cancelledStaysCancelled,
  deletedStaysDeleted,
  enqueuesKeepTheirWord,
  pausedStartsNothing,
} from './client-checks.js';
import { Evidence, type RunRecord } from './evidence.js';
import { endsAsHandlerBehaved, noFailureWithoutStart, nothingLeftProcessing } from './job-checks.js';
import { concurrencyLimitsHold, rateLimitHoldsHold, rateLimitsHold } from './limit-checks.js';
import { killedSlotsComeBack, limitUse, noSlotLeftHeld } from './limit-slot-checks.js';
import {
  nothingRunsAfterStop,
  processesExitWhenTold,
  runsAgainOnlyWhenAllowed,
  schedulesStaySingle,
} from './run-checks.js';
import {
  dependentsOfFailuresCancelled,
  dependentsWaitForDependencies,
  noDependentLeftWaiting,
} from './workflow-checks.js';

export type { CheckResult, Excuse } from './check-result.js';
export type { JobRecord, LockRefresh, Partition, Recovery, RunRecord, ShutdownTimeout } from './evidence.js';

/**
 * More excuses than this fail the run: excuses are for rare bad luck, not for a pattern. Every
 * excused case counts (one job excused by two checks counts twice); the note groups them by the
 * fault that forced them.
 */
export const MAX_EXCUSES = 5;

/**
 * 16. Few excuses: at most {@link MAX_EXCUSES} excused cases, in all checks together (checked, and
 * printed, last: it counts the excuses of 17 to 22 too).
 */
function fewExcuses(results: readonly CheckResult[]): CheckResult {
  const byCause = new Map<string, Set<string>>();
  const all: Excuse[] = results.flatMap((check) => check.excuses);
  for (const excuse of all) byCause.set(excuse.cause, (byCause.get(excuse.cause) ?? new Set()).add(excuse.jobId));
  const jobs = new Set(all.map((excuse) => excuse.jobId)).size;
  const pass = all.length <= MAX_EXCUSES;
  const causes = [...byCause].map(([cause, jobIds]) => `${cause}: ${jobIds.size} job(s)`).join('; ');
  return {
    title: `16. at most ${MAX_EXCUSES} excuses`,
    pass,
    summary: `${all.length} excuses for ${jobs} jobs, forced by ${byCause.size} faults`,
    examples: pass ? [] : [`${all.length} cases excused: more than a handful is a pattern, not bad luck`],
    ...(causes ? { note: causes } : {}),
    excuses: [],
  };
}

/** Runs every check. */
export function checkInvariants(record: RunRecord): CheckResult[] {
  const evidence = new Evidence(record);
  const results = [
    endsAsHandlerBehaved(evidence),
    nothingLeftProcessing(evidence),
    runsAgainOnlyWhenAllowed(evidence),
    noFailureWithoutStart(evidence),
    schedulesStaySingle(evidence),
    nothingRunsAfterStop(evidence),
    processesExitWhenTold(evidence),
    enqueuesKeepTheirWord(evidence),
    cancelledStaysCancelled(evidence),
    pausedStartsNothing(evidence),
    deletedStaysDeleted(evidence),
    dependentsWaitForDependencies(evidence),
    noDependentLeftWaiting(evidence),
    dependentsOfFailuresCancelled(evidence),
    concurrencyLimitsHold(evidence),
    rateLimitsHold(evidence),
    rateLimitHoldsHold(evidence),
    noSlotLeftHeld(evidence),
    killedSlotsComeBack(evidence),
    limitUse(evidence),
  ];
  return [...results, fewExcuses(results)];
}
