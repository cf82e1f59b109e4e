/**
 * Printing a chaos run's summary and the verdict of each invariant.
 */
import { callCounts } from './client-checks.js';
import type { CheckResult, RunRecord } from './invariants.js';
import type { RunStats } from './run.js';
import { WORKERS } from './settings.js';

function counts(map: ReadonlyMap<string, number>): string {
  return [...map.entries()].map(([key, value]) => `${key} ${value}`).join(', ');
}

/** Lines describing what happened: jobs by kind and status, runs, faults, reported events. */
export function summaryLines(record: RunRecord, stats: RunStats): string[] {
  const byKind = new Map<string, Map<string, number>>();
  for (const job of record.jobs) {
    const kind = job.name === WORKERS.recurring.name ? `schedule ${job.uniqueKey ?? '?'}` : job.data.kind;
    const statuses = byKind.get(kind) ?? new Map<string, number>();
    statuses.set(job.status, (statuses.get(job.status) ?? 0) + 1);
    byKind.set(kind, statuses);
  }
  const ok = record.runs.filter((run) => run.outcome === 'ok').length;
  const unclaimed = record.runs.filter((run) => run.claimedAt === undefined).length;
  const stalls = [...record.incarnations.flatMap((incarnation) => incarnation.stalls), ...record.stalls].map(
    (stall) => stall.to - stall.from,
  );
  const threw = record.runs.filter((run) => run.outcome === 'threw').length;
  const faults = [...stats.faults.entries()]
    .map(([type, [armed, hit]]) =>
      type.includes('partition') || type === 'kill' || type === 'restart'
        ? `${type} ${armed}`
        : `${type} ${hit}/${armed} hit`,
    )
    .join(', ');
  const events = [...stats.events.entries()].sort((a, b) => b[1] - a[1]);
  const lines = [
    `jobs: ${[...byKind.entries()].map(([kind, statuses]) => `${kind} (${counts(statuses)})`).join('; ')}`,
    `runs: ${record.runs.length} (${ok} ok, ${threw} threw, ${record.runs.length - ok - threw} cut off) in ${record.incarnations.length} processes${unclaimed ? `; ${unclaimed} handed no lockedAt (their claim time is taken to be their start)` : ''}`,
    `event-loop stalls over 500 ms of the instances and the orchestrator (its proxies): ${stalls.length}${stalls.length ? ` (longest ${Math.max(...stalls)} ms)` : ''}`,
    `faults: ${faults || 'none'}`,
    `producer and operator calls (resolved/made): ${callCounts(record.calls) || 'none'}`,
    `settled in ${(stats.settleMs / 1_000).toFixed(1)} s after the faults stopped`,
    `events reported by the instances (${events.reduce((sum, [, n]) => sum + n, 0)}):`,
  ];
  for (const [event, n] of events.slice(0, 20)) lines.push(`  ${String(n).padStart(5)}  ${event.slice(0, 150)}`);
  if (events.length > 20) lines.push(`  ... and ${events.length - 20} other kinds`);
  return lines;
}

/** Lines giving each invariant's verdict, counts and first offending cases. */
export function verdictLines(results: readonly CheckResult[]): string[] {
  const lines: string[] = [];
  for (const check of results) {
    lines.push(`[${check.pass ? 'PASS' : 'FAIL'}] ${check.title}: ${check.summary}`);
    if (check.note) lines.push(`       ${check.note}`);
    for (const example of check.examples) lines.push(`       - ${example}`);
    for (const excuse of check.excuses) lines.push(`       excused ${excuse.jobId} (${excuse.cause}): ${excuse.why}`);
  }
  return lines;
}
