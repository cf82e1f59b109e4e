/**
 * The invariants a chaos run checks once everything is quiet, from the jobs collection, the ledger
 * of handler runs, what the producers' and the operator's calls returned or threw, and what the
 * orchestrator saw (incarnations, claims and renewals reaching the server, recoveries, partitions).
 *
 * A check may excuse a case only when recorded evidence proves that no correct queue could have
 * done better (a lock that genuinely expired, a process killed at the worst moment); every excused
 * case is listed with its job id, and a run with more than a handful of excused jobs fails.
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
import {
  nothingRunsAfterStop,
  processesExitWhenTold,
  runsAgainOnlyWhenAllowed,
  schedulesStaySingle,
} from './run-checks.js';

export type { CheckResult, Excuse } from './check-result.js';
export type { JobRecord, LockRefresh, Partition, Recovery, RunRecord, ShutdownTimeout } from './evidence.js';

/**
 * More faults than this excusing anything fail the run: excuses are for rare bad luck, not for a
 * pattern. They are counted by the fault that forced them: one partition longer than `lockTimeout`
 * rightly excuses every job its instance was running.
 */
export const MAX_EXCUSING_FAULTS = 5;

/** 12. Few excuses: at most {@link MAX_EXCUSING_FAULTS} faults excuse anything, in all checks together. */
function fewExcuses(results: readonly CheckResult[]): CheckResult {
  const byCause = new Map<string, Set<string>>();
  const all: Excuse[] = results.flatMap((check) => check.excuses);
  for (const excuse of all) byCause.set(excuse.cause, (byCause.get(excuse.cause) ?? new Set()).add(excuse.jobId));
  const jobs = new Set(all.map((excuse) => excuse.jobId)).size;
  const pass = byCause.size <= MAX_EXCUSING_FAULTS;
  const causes = [...byCause].map(([cause, jobIds]) => `${cause}: ${jobIds.size} job(s)`).join('; ');
  return {
    title: `12. at most ${MAX_EXCUSING_FAULTS} faults excuse anything`,
    pass,
    summary: `${all.length} excuses for ${jobs} jobs, forced by ${byCause.size} faults`,
    examples: pass ? [] : [`${byCause.size} faults excused something: more than a handful is a pattern, not bad luck`],
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
  ];
  return [...results, fewExcuses(results)];
}
