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

/** More excused jobs than this fail the run: excuses are for rare bad luck, not for a pattern. */
export const MAX_EXCUSED_JOBS = 5;

/** 12. Few excuses: at most {@link MAX_EXCUSED_JOBS} jobs excused by all checks together. */
function fewExcuses(results: readonly CheckResult[]): CheckResult {
  const excused = new Map<string, Excuse[]>();
  for (const check of results)
    for (const excuse of check.excuses) excused.set(excuse.jobId, [...(excused.get(excuse.jobId) ?? []), excuse]);
  const count = results.reduce((sum, check) => sum + check.excuses.length, 0);
  const pass = excused.size <= MAX_EXCUSED_JOBS;
  return {
    title: `12. at most ${MAX_EXCUSED_JOBS} jobs are excused`,
    pass,
    summary: `${count} excuses for ${excused.size} jobs`,
    examples: pass ? [] : [`${excused.size} jobs excused: more than a handful is a pattern, not bad luck`],
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
