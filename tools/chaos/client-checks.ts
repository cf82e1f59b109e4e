/**
 * Invariants 8 to 11: what the producers' and the operator's calls promised, held.
 */
import { type CheckResult, clock, describeJob, result } from './check-result.js';
import { type Evidence, id, saysMayBeApplied } from './evidence.js';
import type { CallRecord } from './messages.js';
import { ENGINE, WORKERS } from './settings.js';

/**
 * 8. Every `enqueue` that resolved wrote exactly one job, the one it returned; every `enqueue` that
 * rejected without saying it may have been applied wrote none; one that said so wrote at most one;
 * and no command carrying a call's job is sent after the call rejected (its caller was told it
 * failed, and may have enqueued it again). Every order got a job. Jobs are found in the collection,
 * among the deleted ones (as read before), and in the ledger of runs (a job may have run and been
 * deleted); the sends come from the producers' own drivers (`commandStarted`).
 */
export function enqueuesKeepTheirWord(evidence: Evidence): CheckResult {
  const { calls, sends } = evidence.record;
  const jobsByRef = new Map<string, Set<string>>();
  const documents = new Map<string, number>();
  const note = (ref: string | undefined, jobId: string): void => {
    if (ref === undefined) return;
    jobsByRef.set(ref, (jobsByRef.get(ref) ?? new Set()).add(jobId));
  };
  for (const job of evidence.oneOffJobs(WORKERS.recurring.name)) {
    note(job.data.ref, id(job._id));
    if (job.data.ref !== undefined) documents.set(job.data.ref, (documents.get(job.data.ref) ?? 0) + 1);
  }
  for (const run of evidence.record.runs) note(run.ref, id(run.jobId));
  const firstSent = new Map<string, number>();
  for (const sent of sends) firstSent.set(sent.ref, Math.min(firstSent.get(sent.ref) ?? sent.at, sent.at));

  const failures: string[] = [];
  const enqueues = calls.filter((call) => call.method === 'enqueue');
  const refs = new Set(enqueues.map((call) => call.ref));
  const orders = new Map<string, boolean>();
  let resolved = 0;
  let doubtful = 0;
  let doubtfulWritten = 0;
  for (const call of enqueues) {
    const ref = call.ref as string;
    const written = [...(jobsByRef.get(ref) ?? [])];
    const copies = documents.get(ref) ?? 0;
    orders.set(call.action, (orders.get(call.action) ?? false) || call.error === undefined);
    const said = `enqueue ${ref} (${call.client})`;
    if (call.error === undefined) {
      resolved += 1;
      if (written.length !== 1 || written[0] !== call.returned || copies !== 1)
        failures.push(
          `${said} resolved with job ${String(call.returned)}, but the jobs carrying its ref are [${written.join(', ')}] (${copies} documents)`,
        );
      continue;
    }
    const sentAt = firstSent.get(ref);
    if (sentAt !== undefined && sentAt > call.end) {
      failures.push(
        `${said} rejected at ${clock(call.end)} ('${call.error}'); a command carrying its job was first sent ${sentAt - call.end} ms later${written.length > 0 ? `, writing job ${written[0]}` : ''}`,
      );
    } else if (saysMayBeApplied(call.error, call.mayHaveBeenApplied)) {
      doubtful += 1;
      if (written.length > 0) doubtfulWritten += 1;
      if (written.length > 1 || copies > 1)
        failures.push(`${said} rejected in doubt, but wrote ${written.length} jobs (${copies} documents)`);
    } else if (written.length > 0) {
      failures.push(
        `${said} rejected with '${call.error}' (not saying it may have been applied), yet job ${written[0]} exists`,
      );
    }
  }
  for (const [ref, jobIds] of jobsByRef) {
    if (!refs.has(ref) && ![...jobIds].every((jobId) => evidence.record.orphans.includes(jobId)))
      failures.push(`job(s) ${[...jobIds].join(', ')} carry ref ${ref}, which no enqueue call wrote`);
  }
  const unserved = [...orders].filter(([, served]) => !served).map(([order]) => order);
  for (const order of unserved) failures.push(`order ${order}: no enqueue resolved before the producer gave up`);
  const jobs = new Set([...jobsByRef.values()].flatMap((ids) => [...ids])).size;
  return result(
    '8. every enqueue that resolved wrote its job once; one that rejected wrote none unless it said it may have',
    failures,
    `${enqueues.length} calls for ${orders.size} orders: ${resolved} resolved, ${enqueues.length - resolved} rejected (${doubtful} saying they may have been applied, ${doubtfulWritten} of which were); ${jobs} jobs`,
  );
}

/**
 * 9. A job whose cancellation the operator wrote (`cancelJob` resolved with the job) is never
 * claimed after that, and ends `cancelled` (never `completed`).
 */
export function cancelledStaysCancelled(evidence: Evidence): CheckResult {
  const failures: string[] = [];
  let cancelled = 0;
  for (const [jobId, actions] of evidence.cancels) {
    const applied = actions.filter((action) => action.appliedAt !== undefined);
    if (applied.length === 0) continue;
    cancelled += 1;
    const at = Math.min(...applied.map((action) => action.appliedAt as number));
    const job = evidence.inCollection(jobId) ?? evidence.deleted.get(jobId)?.snapshot;
    const runs = evidence.runsOf(jobId);
    const described = job ? describeJob(job, runs) : jobId;
    for (const run of runs) {
      const claimed = evidence.claimedAt(run);
      if (claimed > at)
        failures.push(
          `${described}: claimed by ${run.instanceId} at ${clock(claimed)}, ${claimed - at} ms after its cancellation was written (${clock(at)})`,
        );
    }
    if (job && job.status !== 'cancelled')
      failures.push(`${described}: ended ${job.status} although its cancellation was written at ${clock(at)}`);
  }
  return result(
    '9. a cancelled job never starts after its cancellation was written, and ends cancelled',
    failures,
    `${cancelled} jobs cancelled by the operator (${[...evidence.cancels.keys()].length} targeted), ${failures.length} broke it`,
  );
}

/**
 * 10. A paused name starts nothing between the pause reaching every instance (one `pollInterval`
 * after `pause()` resolved) and the first `resume()` of that name that may have been applied
 * after it: no run of it is claimed in between (its claim turn began after the window opened, by
 * its `lockedAt` on real time, and its handler was entered before the window closed).
 */
export function pausedStartsNothing(evidence: Evidence): CheckResult {
  const { calls, runs } = evidence.record;
  const failures: string[] = [];
  const resumes = calls.filter((call) => call.method === 'resume');
  let windows = 0;
  for (const pause of calls.filter((call) => call.method === 'pause' && call.error === undefined)) {
    const from = pause.end + ENGINE.pollInterval;
    // Any resume that may have been applied after this pause was (it ended after the pause began).
    const later = resumes.filter((resume) => resume.name === pause.name && resume.end >= pause.start);
    const to = Math.min(...later.map((resume) => Math.max(resume.start, pause.end)));
    if (!(to > from)) continue;
    windows += 1;
    for (const run of runs) {
      // Claimed at the earliest when its claim turn began (lockedAt), at the latest when its handler
      // was entered: both inside the window.
      const claimed = evidence.claimedAt(run);
      if (run.name === pause.name && claimed > from && run.start.getTime() < to)
        failures.push(
          `${id(run.jobId)} (${run.name}) claimed by ${run.instanceId} between ${clock(claimed)} and ${clock(run.start)}, ${claimed - pause.end} ms or more after pause() resolved (${clock(pause.end)}), before resume() (${clock(to)})`,
        );
    }
  }
  return result(
    '10. a paused name starts nothing from one pollInterval after pause() until resume()',
    failures,
    `${windows} pauses checked, ${failures.length} runs claimed while paused`,
  );
}

/** 11. A job the operator deleted never reappears: not in the collection, never claimed again. */
export function deletedStaysDeleted(evidence: Evidence): CheckResult {
  const failures: string[] = [];
  for (const [jobId, { at, snapshot }] of evidence.deleted) {
    const back = evidence.inCollection(jobId);
    if (back)
      failures.push(`${describeJob(back, evidence.runsOf(jobId))}: deleted at ${clock(at)}, back in the collection`);
    for (const run of evidence.runsOf(jobId)) {
      if (evidence.claimedAt(run) > at)
        failures.push(
          `${describeJob(snapshot, evidence.runsOf(jobId))}: deleted at ${clock(at)}, claimed again by ${run.instanceId} at ${clock(evidence.claimedAt(run))}`,
        );
    }
  }
  return result(
    '11. a deleted job never reappears',
    failures,
    `${evidence.deleted.size} jobs deleted by the operator, ${failures.length} reappeared`,
  );
}

/** The calls of the producers and the operator, by method: `method resolved/called`. */
export function callCounts(calls: readonly CallRecord[]): string {
  const counts = new Map<string, [number, number]>();
  for (const call of calls) {
    const [ok, all] = counts.get(call.method) ?? [0, 0];
    counts.set(call.method, [ok + (call.error === undefined ? 1 : 0), all + 1]);
  }
  return [...counts].map(([method, [ok, all]]) => `${method} ${ok}/${all}`).join(', ');
}
