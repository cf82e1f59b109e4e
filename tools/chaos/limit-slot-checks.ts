/**
 * Invariants 20 to 22: the concurrency slots of the flow-controlled names (fields of the running
 * job, `limitSlot` and `groupSlot`) are held only by running jobs and come back after a kill; and
 * how much of what the limits allow was used while jobs waited (reported, never failed).
 */
import { type CheckResult, clock, describeJob, type Excuse, result } from './check-result.js';
import { type Evidence, id } from './evidence.js';
import { ENGINE, FLOW_LIMITS, type JobKind, type LedgerRun, LIMITED_KINDS, WORKERS } from './settings.js';

/** The engine's stale-check interval (its default: `min(lockTimeout / 2, 60 s)`). */
export const STALE_CHECK_MS = Math.min(ENGINE.lockTimeout / 2, 60_000);
/** Round trips of the recovery and of the claim after it (ms). */
const ROUND_TRIPS_MS = 500;
/**
 * How soon after a kill its slots must be used again: the lock goes stale `lockTimeout` after its
 * last renewal as an observer saw it (within one stale check of the kill), the recovery frees the
 * slots, and the next claim takes them within one `pollInterval`.
 */
export const SLOT_RETURN_MS = ENGINE.lockTimeout + STALE_CHECK_MS + ENGINE.pollInterval + ROUND_TRIPS_MS;

/** 20. After the quiet phase, no job holds a slot (`limitSlot`, `groupSlot`) unless it is `processing`. */
export function noSlotLeftHeld(evidence: Evidence): CheckResult {
  const held = evidence.record.jobs.filter((job) => job.limitSlot !== undefined || job.groupSlot !== undefined);
  const failures = held
    .filter((job) => job.status !== 'processing')
    .map(
      (job) =>
        `${describeJob(job, evidence.runsOf(id(job._id)))}: holds ${job.limitSlot === undefined ? '' : `limitSlot ${job.limitSlot} `}${job.groupSlot === undefined ? '' : `groupSlot ${job.groupSlot} `}of ${job.name}${job.group === undefined ? '' : ` (group ${job.group})`}`,
    );
  return result(
    '20. after the quiet phase, no slot is held by a job that is not processing',
    failures,
    `${held.length} jobs hold a slot, ${failures.length} of them not processing`,
  );
}

/** Whether `instanceId` ran `name`'s jobs at its full concurrency throughout `[from, to]` (ledger). */
function saturated(evidence: Evidence, instanceId: string, kind: JobKind, from: number, to: number): boolean {
  const { name, concurrency } = WORKERS[kind];
  const runs = evidence.record.runs.filter((run) => run.instanceId === instanceId && run.name === name);
  const instants = [from, ...runs.flatMap((run) => [run.start.getTime(), evidence.endOf(run)])].filter(
    (at) => at >= from && at <= to,
  );
  return instants.every(
    (at) => runs.filter((run) => run.start.getTime() <= at && evidence.endOf(run) > at).length >= concurrency,
  );
}

/**
 * 21. The slots a killed instance held come back: after a SIGKILL of an instance running jobs of a
 * name with `globalConcurrency` (a group with `groupConcurrency`), a job of that name (group) starts
 * within {@link SLOT_RETURN_MS} whenever one was waiting (the killed run's own job, once recovered,
 * or one enqueued before the kill and not running then, that started later). Excused (printed)
 * only when no other instance was up, reachable and free to run it throughout.
 */
export function killedSlotsComeBack(evidence: Evidence): CheckResult {
  const failures: string[] = [];
  const excuses: Excuse[] = [];
  let kills = 0;
  const enqueuedAt = new Map<string, number>();
  for (const call of evidence.record.calls)
    if (call.method === 'enqueue' && call.error === undefined && typeof call.returned === 'string')
      enqueuedAt.set(call.returned, call.end);
  for (const incarnation of evidence.record.incarnations) {
    if (incarnation.exit !== 'killed' || incarnation.exitedAt === undefined) continue;
    const killedAt = incarnation.exitedAt;
    const deadline = killedAt + SLOT_RETURN_MS;
    for (const kind of LIMITED_KINDS) {
      const limits = FLOW_LIMITS[kind] ?? {};
      if (limits.globalConcurrency === undefined && limits.groupConcurrency === undefined) continue;
      const name = WORKERS[kind].name;
      const runs = evidence.record.runs.filter((run) => run.name === name);
      const held = runs.filter(
        (run) => run.instanceId === incarnation.instanceId && run.start.getTime() <= killedAt && !run.end,
      );
      for (const lost of held) {
        kills += 1;
        // With only a group limit, the slot that came back is the group's.
        const sameScope = (run: LedgerRun): boolean =>
          limits.globalConcurrency !== undefined || run.group === lost.group;
        const after = runs.filter((run) => sameScope(run) && run.start.getTime() > killedAt);
        if (after.some((run) => run.start.getTime() <= deadline)) continue;
        const waiting = after.find((run) => {
          const jobId = id(run.jobId);
          if (jobId === id(lost.jobId)) return true;
          const earlier = evidence.runsOf(jobId).filter((other) => other.start.getTime() <= killedAt);
          return (
            (enqueuedAt.get(jobId) ?? Number.POSITIVE_INFINITY) < killedAt &&
            earlier.every((other) => evidence.endOf(other) < killedAt)
          );
        });
        if (!waiting) continue;
        const scope = limits.globalConcurrency === undefined ? `group ${lost.group}` : 'name';
        const what = `${name} ${scope}: ${incarnation.instanceId} was killed at ${clock(killedAt)} running ${id(lost.jobId)}; the next start (${id(waiting.jobId)} at ${clock(waiting.start)}) came ${waiting.start.getTime() - killedAt} ms later (bound ${SLOT_RETURN_MS} ms)`;
        const able = evidence.record.incarnations.filter(
          (other) =>
            other.instanceId !== incarnation.instanceId &&
            (other.readyAt ?? Number.POSITIVE_INFINITY) <= killedAt &&
            (other.exitedAt ?? Number.POSITIVE_INFINITY) > deadline &&
            evidence.freeStretch(other.instanceId, killedAt, deadline).freeMs >= deadline - killedAt &&
            !saturated(evidence, other.instanceId, kind, killedAt + ENGINE.lockTimeout, deadline),
        );
        if (able.length > 0) {
          failures.push(`${what}, although ${able.map((other) => other.instanceId).join(', ')} could run it`);
        } else {
          const others = evidence.record.incarnations.filter(
            (other) =>
              other.instanceId !== incarnation.instanceId &&
              (other.readyAt ?? Number.POSITIVE_INFINITY) <= deadline &&
              (other.exitedAt ?? Number.POSITIVE_INFINITY) > killedAt,
          );
          const cause = others[0]
            ? evidence.freeStretch(others[0].instanceId, killedAt, deadline).cause
            : `no instance up after the kill of ${incarnation.instanceId}`;
          excuses.push({
            jobId: id(lost.jobId),
            cause,
            why: `${what}: no other instance was up, reachable and free to run it throughout`,
          });
        }
      }
    }
  }
  return result(
    `21. a killed instance's slots come back within lockTimeout + stale check + pollInterval (${SLOT_RETURN_MS} ms)`,
    failures,
    `${kills} slots held by killed instances, ${failures.length} not used again in time while a job waited`,
    { excuses },
  );
}

/** The union of intervals, as sorted disjoint `[from, to]` pairs. */
function union(intervals: readonly [number, number][]): [number, number][] {
  const merged: [number, number][] = [];
  for (const [from, to] of [...intervals].sort((a, b) => a[0] - b[0])) {
    const last = merged.at(-1);
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else if (to > from) merged.push([from, to]);
  }
  return merged;
}

/** The length of the overlap of `[from, to]` with the sorted disjoint `intervals`. */
function overlap(intervals: readonly [number, number][], from: number, to: number): number {
  return intervals.reduce((sum, [a, b]) => sum + Math.max(0, Math.min(b, to) - Math.max(a, from)), 0);
}

/**
 * 22. (Reported, never failed.) How much of what each limit allows was used while a job of the
 * name (group) waited: a job waits from its enqueue (the resolved call's end) to its first start.
 * Concurrency: the slot time used over the slot time allowed during the waits; rate: the starts
 * over `max` per `duration` of wait; and the longest wait of one job (for a group whose only job
 * waits, its share is 0: the longest wait says whether fair claiming reached it). Faults
 * (partitions, kills, holds) make it lower; it shows that the limits do not hold jobs back for
 * nothing, not a target.
 */
export function limitUse(evidence: Evidence): CheckResult {
  const enqueuedAt = new Map<string, number>();
  for (const call of evidence.record.calls)
    if (call.method === 'enqueue' && call.error === undefined && typeof call.returned === 'string')
      enqueuedAt.set(call.returned, call.end);
  const parts: string[] = [];
  for (const kind of LIMITED_KINDS) {
    const limits = FLOW_LIMITS[kind] ?? {};
    const name = WORKERS[kind].name;
    const runs = evidence.record.runs.filter((run) => run.name === name);
    const waits = (group?: string): [number, number][] =>
      union(
        [...new Set(runs.map((run) => id(run.jobId)))].flatMap((jobId): [number, number][] => {
          const first = evidence.runsOf(jobId)[0];
          const from = enqueuedAt.get(jobId);
          if (!first || from === undefined || (group !== undefined && first.group !== group)) return [];
          return [[from, first.start.getTime()]];
        }),
      );
    /** The job of the name (group) that waited longest for its first start. */
    const longest = (group?: string): string => {
      let worst = { jobId: '', ms: -1 };
      for (const jobId of new Set(runs.map((run) => id(run.jobId)))) {
        const first = evidence.runsOf(jobId)[0];
        const from = enqueuedAt.get(jobId);
        if (!first || from === undefined || (group !== undefined && first.group !== group)) continue;
        if (first.start.getTime() - from > worst.ms) worst = { jobId, ms: first.start.getTime() - from };
      }
      return worst.ms < 0 ? '' : `, longest wait ${worst.ms} ms (${worst.jobId})`;
    };
    const slotShare = (limit: number, group?: string): string => {
      const waited = waits(group);
      const total = overlap(waited, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
      if (total === 0) return 'no wait';
      const used = runs
        .filter((run) => group === undefined || run.group === group)
        .reduce((sum, run) => sum + overlap(waited, run.start.getTime(), evidence.endOf(run)), 0);
      return `${Math.round((100 * used) / (limit * total))} % of ${limit} slot(s) over ${(total / 1_000).toFixed(1)} s of wait${longest(group)}`;
    };
    if (limits.globalConcurrency !== undefined) parts.push(`${name}: ${slotShare(limits.globalConcurrency)}`);
    if (limits.groupConcurrency !== undefined) {
      const groups = [...new Set(runs.flatMap((run) => (run.group === undefined ? [] : [run.group])))].sort();
      for (const group of groups) parts.push(`${name} group ${group}: ${slotShare(limits.groupConcurrency, group)}`);
    }
    if (limits.rateLimit) {
      const waited = waits();
      const total = overlap(waited, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
      const starts = runs.filter((run) => overlap(waited, run.start.getTime() - 1, run.start.getTime()) > 0).length;
      const allowed = (limits.rateLimit.max * total) / limits.rateLimit.duration;
      parts.push(
        total === 0
          ? `${name}: no wait`
          : `${name}: ${starts} starts of ${allowed.toFixed(1)} allowed (${Math.round((100 * starts) / allowed)} %) over ${(total / 1_000).toFixed(1)} s of wait${longest()}`,
      );
    }
  }
  return result(
    '22. (reported) share of what the limits allow used while jobs waited',
    [],
    parts.join('; ') || 'no flow-controlled runs',
  );
}
