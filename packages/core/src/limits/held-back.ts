/**
 * How many due jobs of a name its flow-control limits hold back now (pure, no I/O): the `limited`
 * of `getStats()` and `getGroupStats()`. An estimate from the same records the claims read: due
 * jobs beyond what the free slots, the rate windows and the blocks let start now.
 */
import type { FlowControlOptions } from '../flow-control-options.js';
import { roomAt } from './rate-window.js';

/** A rate window as the estimate needs it. */
export interface RateState {
  readonly starts: Readonly<Record<string, number>>;
  readonly blockedUntil?: Date;
}

/** What one name looks like now. */
export interface NameLoad {
  readonly due: number;
  readonly running: number;
  /** Due jobs per group (`null`: without a group); needed with `groupConcurrency` or `perGroup`. */
  readonly dueByGroup?: ReadonlyMap<string | null, number>;
  /** Running jobs per group. */
  readonly runningByGroup?: ReadonlyMap<string, number>;
  /** The name's rate window, or (with `perGroup`) each group's (`null`: jobs without a group). */
  readonly rates?: ReadonlyMap<string | null, RateState>;
  /** The name is held until then (a `RateLimitError` of a worker without `rateLimit`), in ms. */
  readonly heldUntil?: number;
}

function rateRoom(state: RateState | undefined, limits: FlowControlOptions, now: number): number {
  const rate = limits.rateLimit;
  if (!rate) return Number.POSITIVE_INFINITY;
  if (state?.blockedUntil && state.blockedUntil.getTime() > now) return 0;
  return roomAt(state?.starts ?? {}, now, rate);
}

/** Due jobs of one group that can start now (`group` null: the jobs without a group). */
export function startableInGroup(
  group: string | null,
  due: number,
  running: number,
  limits: FlowControlOptions,
  rate: RateState | undefined,
  now: number,
): number {
  const slots =
    group === null || limits.groupConcurrency === undefined
      ? Number.POSITIVE_INFINITY
      : Math.max(0, limits.groupConcurrency - running);
  const rateRoomOfGroup = limits.rateLimit?.perGroup ? rateRoom(rate, limits, now) : Number.POSITIVE_INFINITY;
  return Math.min(due, slots, rateRoomOfGroup);
}

/** Due jobs of the name held back by its limits at `now`. */
export function heldBack(load: NameLoad, limits: FlowControlOptions, now: number): number {
  if (load.due === 0) return 0;
  if (load.heldUntil !== undefined && load.heldUntil > now) return load.due;
  let startable = load.due;
  if (limits.globalConcurrency !== undefined)
    startable = Math.min(startable, Math.max(0, limits.globalConcurrency - load.running));
  if (limits.rateLimit && !limits.rateLimit.perGroup)
    startable = Math.min(startable, rateRoom(load.rates?.get(null), limits, now));
  if (load.dueByGroup && (limits.groupConcurrency !== undefined || limits.rateLimit?.perGroup)) {
    let inGroups = 0;
    for (const [group, due] of load.dueByGroup) {
      const running = group === null ? 0 : (load.runningByGroup?.get(group) ?? 0);
      inGroups += startableInGroup(group, due, running, limits, load.rates?.get(group), now);
    }
    startable = Math.min(startable, inGroups);
  }
  return load.due - startable;
}
