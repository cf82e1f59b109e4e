/**
 * Invariants 17 to 19: the flow-controlled names (see `FLOW_LIMITS`) never run more jobs at once
 * than their concurrency limits, never start more per window than their rate limit, and start
 * nothing during a `RateLimitError` hold. All judged from the handlers' own ledger (and what the
 * proxies and the orchestrator saw), never from what the engine says of itself.
 *
 * Clocks: slots do not depend on time, so concurrency is judged on the real time of the ledger.
 * Rate windows and holds are kept on each claimer's clock (the engine's design: "windows are
 * measured on each instance's clock"), so they are judged there: a run's start is placed on its
 * instance's clock (real time plus the incarnation's skew).
 */
import { type CheckResult, clock, type Excuse, result } from './check-result.js';
import { type Evidence, id } from './evidence.js';
import { ENGINE, FLOW_LIMITS, type JobKind, type LedgerRun, LIMITED_KINDS, WORKERS } from './settings.js';

/**
 * A hold is in force from the throw plus this (ms): the engine writes it (one round trip) right
 * after the handler threw, and a claim that took its starts just before may start up to the start
 * allowance (at most 250 ms) later.
 */
export const HOLD_WRITE_MS = 500;
/**
 * A hold whose write failed is written again with growing delays (50 ms doubling, at most 1 s): once
 * the instance can reach the server again, it lands within this (ms).
 */
export const HOLD_RETRY_MS = 1_500;

/** The runs of a limited name split by the scope a limit counts in (`name`, or each group). */
function scopes(runs: readonly LedgerRun[], byGroup: boolean): Map<string, LedgerRun[]> {
  const map = new Map<string, LedgerRun[]>();
  for (const run of runs) {
    if (byGroup && run.group === undefined) continue;
    const key = byGroup ? `group ${run.group}` : 'name';
    map.set(key, [...(map.get(key) ?? []), run]);
  }
  for (const list of map.values()) list.sort((a, b) => a.start.getTime() - b.start.getTime());
  return map;
}

/** The runs of each limited kind's name. */
function runsOfKind(evidence: Evidence, kind: JobKind): LedgerRun[] {
  return evidence.record.runs.filter((run) => run.name === WORKERS[kind].name);
}

/**
 * Why `earlier`'s slot was legitimately free before `later` was claimed, or `undefined`: its lock
 * genuinely expired (`Evidence.forcedLapse`, the overlap rule of invariant 3), or its instance's
 * `stop()` reached its deadline and gave the job back while the handler ignored its signal.
 */
function slotFreedEarly(evidence: Evidence, earlier: LedgerRun, later: LedgerRun): Excuse | undefined {
  const jobId = id(earlier.jobId);
  const givenBack = evidence.givenBackAtStop(earlier);
  if (givenBack <= later.start.getTime())
    return {
      jobId,
      cause: `stop() deadline of ${earlier.instanceId}`,
      why: `run ${earlier._id} on ${earlier.instanceId} still ran when run ${later._id} of ${id(later.jobId)} started at ${clock(later.start)}, but its instance's stop() had given the job (and its slot) back at ${clock(givenBack)}`,
    };
  const claimed = Math.min(evidence.claimedAt(later), later.start.getTime());
  const lapse = evidence.forcedLapse(earlier, claimed);
  if (!lapse.forced) return undefined;
  return {
    jobId,
    cause: lapse.cause,
    why: `run ${earlier._id} on ${earlier.instanceId} still ran when run ${later._id} of ${id(later.jobId)} started at ${clock(later.start)}, but no claim or renewal of it had reached the server for ${lapse.ms} ms from ${clock(lapse.from)} (at most ${lapse.freeMs} ms free at a stretch): a genuine lock expiry, which frees its slot`,
  };
}

/**
 * 17. A flow-controlled name never runs more than its `globalConcurrency` jobs at once, nor one
 * group more than its `groupConcurrency`, at any instant of the handlers' ledger (a run holds its
 * slot at least from its handler's entry to its return, or its process's exit). The only excuse:
 * one of the overlapping runs had lost its slot legitimately before the newest was claimed (a
 * genuine lock expiry, or its instance's `stop()` deadline gave it back while it ignored its signal).
 */
export function concurrencyLimitsHold(evidence: Evidence): CheckResult {
  const failures: string[] = [];
  const excuses = new Map<string, Excuse>();
  const peaks: string[] = [];
  for (const kind of LIMITED_KINDS) {
    const limits = FLOW_LIMITS[kind] ?? {};
    const runs = runsOfKind(evidence, kind);
    for (const [byGroup, limit] of [
      [false, limits.globalConcurrency],
      [true, limits.groupConcurrency],
    ] as const) {
      if (limit === undefined) continue;
      let peak = 0;
      for (const [scope, list] of scopes(runs, byGroup)) {
        for (const [i, run] of list.entries()) {
          const start = run.start.getTime();
          const active = list.slice(0, i).filter((other) => evidence.endOf(other) > start);
          if (active.length + 1 > peak) peak = active.length + 1;
          if (active.length + 1 <= limit) continue;
          const freed = active.flatMap((other) => {
            const excuse = slotFreedEarly(evidence, other, run);
            return excuse ? [{ other, excuse }] : [];
          });
          if (active.length + 1 - freed.length > limit) {
            const holders = active.map(
              (other) => `${id(other.jobId)} on ${other.instanceId} from ${clock(other.start)}`,
            );
            failures.push(
              `${WORKERS[kind].name} ${scope}: ${active.length + 1} running at ${clock(start)} (limit ${limit}): run ${run._id} of ${id(run.jobId)} on ${run.instanceId} started while ${holders.join(', ')} still ran`,
            );
          } else {
            for (const { other, excuse } of freed) excuses.set(other._id, excuse);
          }
        }
      }
      peaks.push(`${WORKERS[kind].name} ${byGroup ? 'per group' : 'in all'} ${peak}/${limit}`);
    }
  }
  return result(
    '17. never more running than globalConcurrency (per name) or groupConcurrency (per group)',
    failures,
    `${failures.length} starts beyond a concurrency limit; most running at once: ${peaks.join(', ')}`,
    { excuses: [...excuses.values()] },
  );
}

/** Where a run's start lies on its instance's clock: from its claim turn (`lockedAt`) to its handler's entry. */
function startOnItsClock(evidence: Evidence, run: LedgerRun): { from: number; to: number } {
  const to = run.start.getTime() + evidence.skewOf(run.instanceId);
  return { from: Math.min(run.claimedAt?.getTime() ?? to, to), to };
}

/**
 * 18. A rate-limited name never starts more than `max` jobs (per group with `perGroup`) in any
 * window of `duration`, on all instances together. The windows are kept on each claimer's clock,
 * so each start is placed on its instance's clock, somewhere between its claim turn (`lockedAt`)
 * and its handler's entry (its starts were taken in between); a window counts only the starts
 * certainly inside it. That is all the slack: an instance whose clock is ahead starts jobs early
 * by real time, as the guide says, but never more than `max` in a window of the clocks'.
 */
export function rateLimitsHold(evidence: Evidence): CheckResult {
  const failures: string[] = [];
  const busiest: string[] = [];
  for (const kind of LIMITED_KINDS) {
    const rate = FLOW_LIMITS[kind]?.rateLimit;
    if (!rate) continue;
    for (const [scope, list] of scopes(runsOfKind(evidence, kind), rate.perGroup === true)) {
      const placed = list.map((run) => ({ run, ...startOnItsClock(evidence, run) })).sort((a, b) => a.from - b.from);
      let most = 0;
      for (const first of placed) {
        const inside = placed.filter((other) => other.from >= first.from && other.to < first.from + rate.duration);
        most = Math.max(most, inside.length);
        if (inside.length <= rate.max) continue;
        const starts = inside.map(
          ({ run }) =>
            `${id(run.jobId)} on ${run.instanceId} (clock ${evidence.skewOf(run.instanceId) / 1_000} s) ${clock(run.start)}`,
        );
        failures.push(
          `${WORKERS[kind].name} ${scope}: ${inside.length} starts (max ${rate.max}) within ${rate.duration} ms of ${clock(first.from)} on the claimers' clocks: ${starts.join(', ')}`,
        );
        break;
      }
      busiest.push(`${WORKERS[kind].name} ${scope}: ${most} of ${rate.max}`);
    }
  }
  return result(
    '18. never more starts than rateLimit.max in any window of its duration (on the claimers’ clocks)',
    failures,
    `most starts certainly within one window: ${busiest.join(', ') || 'none'}`,
    {
      note: 'slack: windows are judged on each claimer’s clock (real time + its skew, as the engine keeps them); a start counts in a window only when its claim turn (lockedAt) and its handler’s entry both lie inside',
    },
  );
}

/**
 * 19. No job of a name (of the group, with `perGroup`) is claimed while a `RateLimitError` holds
 * it: from the throw (plus {@link HOLD_WRITE_MS}) until `retryAfterMs` after it on the thrower's
 * clock, as the claimer's clock reads it (the hold is a date compared with each claimer's clock).
 * A claim turn that began after the hold was in force and whose `lockedAt` is before its end
 * breaks it (without a `rateLimit` the hold is in the pause state, read a little later in the
 * turn: then a claim whose handler was entered before the hold's end breaks it). Excused (and printed) only when the hold was written late: the thrower's instance
 * could not reach the server (partition, stall, exit) in time, and its write was retried after.
 */
export function rateLimitHoldsHold(evidence: Evidence): CheckResult {
  const failures: string[] = [];
  const excuses: Excuse[] = [];
  let holds = 0;
  for (const kind of LIMITED_KINDS) {
    const rate = FLOW_LIMITS[kind]?.rateLimit;
    const runs = runsOfKind(evidence, kind);
    // Without a rateLimit, the hold reaches the other instances with the pause state.
    const reach = HOLD_WRITE_MS + (rate ? 0 : ENGINE.pollInterval);
    for (const thrown of runs) {
      if (thrown.retryAfterMs === undefined || !thrown.end) continue;
      holds += 1;
      const end = thrown.end.getTime();
      const from = end + reach;
      const until = end + evidence.skewOf(thrown.instanceId) + thrown.retryAfterMs;
      for (const run of runs) {
        if (run === thrown || (rate?.perGroup && run.group !== thrown.group)) continue;
        const entered = run.start.getTime() + evidence.skewOf(run.instanceId);
        const lockedAt = run.claimedAt?.getTime() ?? entered;
        const turn = lockedAt - evidence.skewOf(run.instanceId);
        // A rate-limited claim compares the hold with its turn's time (its lockedAt); the pause
        // state's hold is compared a little later in the turn: by the handler's entry at the latest.
        if (turn < from || (rate ? lockedAt : entered) >= until) continue;
        const what = `${id(run.jobId)} claimed by ${run.instanceId} in a turn begun at ${clock(turn)} (its clock ${clock(lockedAt)}), during the ${thrown.retryAfterMs} ms hold of ${id(thrown.jobId)}'s RateLimitError on ${thrown.instanceId} at ${clock(end)} (until ${clock(until)} on its clock)`;
        const written = evidence.writableBetween(thrown.instanceId, end, turn, HOLD_WRITE_MS, HOLD_RETRY_MS);
        if (written.writable || run.instanceId === thrown.instanceId) {
          failures.push(`${WORKERS[kind].name}: ${what}`);
        } else {
          const { cause } = evidence.freeStretch(thrown.instanceId, end, turn);
          excuses.push({
            jobId: id(run.jobId),
            cause,
            why: `${what}: the hold was written late, its instance having had at most ${written.freeMs} ms at a stretch to write it before`,
          });
        }
      }
    }
  }
  return result(
    '19. nothing of the name (group) is claimed during a RateLimitError hold',
    failures,
    `${holds} holds checked, ${failures.length} claims during one`,
    {
      excuses,
      note: `a hold counts from ${HOLD_WRITE_MS} ms after the throw (its write; ${HOLD_WRITE_MS + ENGINE.pollInterval} ms without a rateLimit: the pause state) until retryAfterMs after it on the thrower's clock, compared with the claimer's`,
    },
  );
}
