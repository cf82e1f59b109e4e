/**
 * The result of one invariant, and how a job is described in it.
 */
import { id, type JobRecord } from './evidence.js';
import type { LedgerRun } from './settings.js';

/** A case the check let pass because recorded evidence proves no correct queue could have done better. */
export interface Excuse {
  readonly jobId: string;
  /** The fault that forced it (a partition, a kill, a stall, a stop deadline): excuses are counted by it. */
  readonly cause: string;
  /** What happened and the evidence, one line. */
  readonly why: string;
}

/** The result of one invariant. */
export interface CheckResult {
  readonly title: string;
  readonly pass: boolean;
  /** Counts, one line. */
  readonly summary: string;
  /** The first offending cases. */
  readonly examples: readonly string[];
  /** Further counts that do not fail the check. */
  readonly note?: string;
  /** Every case it excused, each with its job id (printed in full, and counted by the last check). */
  readonly excuses: readonly Excuse[];
}

const MAX_EXAMPLES = 5;

/** Builds a result: it passes when there are no failures. */
export function result(
  title: string,
  failures: readonly string[],
  summary: string,
  extra: { note?: string; excuses?: readonly Excuse[] } = {},
): CheckResult {
  return {
    title,
    pass: failures.length === 0,
    summary,
    examples: failures.slice(0, MAX_EXAMPLES),
    ...(extra.note ? { note: extra.note } : {}),
    excuses: extra.excuses ?? [],
  };
}

/** `<id> (<kind>): <status>, failCount N; runs: N ok, N threw, N cut off`. */
export function describeJob(job: JobRecord, runs: readonly LedgerRun[]): string {
  const data = job.data;
  const kind = data.kind === 'failing' ? `failing x${data.failTimes}` : data.stubborn ? 'slow, stubborn' : data.kind;
  const ok = runs.filter((run) => run.outcome === 'ok').length;
  const threw = runs.filter((run) => run.outcome === 'threw').length;
  const unfinished = runs.length - ok - threw;
  return `${id(job._id)} (${kind}): ${job.status}, failCount ${job.failCount ?? 0}; runs: ${ok} ok, ${threw} threw, ${unfinished} cut off`;
}

/** A time of day with milliseconds (UTC), for messages: `14:03:07.250`. */
export function clock(at: number | Date): string {
  return new Date(at).toISOString().slice(11, 23);
}
