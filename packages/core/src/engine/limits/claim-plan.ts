/**
 * Which due jobs of one flow-controlled name to claim now, and with which slots (pure, no I/O).
 *
 * The candidates come as lanes: one per group (and one for the jobs without a group), in rotation
 * order, each in claim order (priority, then due time). Lanes take turns, one job each per round,
 * so a group with one due job beside a group with 10,000 gets its job in the first round. A job is
 * taken only while every limit has room: the instance's free slots, `globalConcurrency` (slots not
 * held by running jobs), the rate window of the name, and for its lane `groupConcurrency` and the
 * group's rate window. Each job gets a free slot number of the name (and of its group), chosen at
 * random among the free ones so instances rarely pick the same.
 */
import type { FlowControlOptions } from '../../flow-control-options.js';
import type { JobDocument } from '../../store/job-document.js';
import type { RunningJob, SlotClaim } from '../../store/limited-claim-store.js';

/** The due jobs of one group (`null`: the jobs without a group), in claim order. */
export interface Lane {
  readonly group: string | null;
  readonly jobs: readonly JobDocument[];
}

/** What the plan is made from. */
export interface PlanInput {
  /** The instance's free slots for this name. */
  readonly want: number;
  readonly lanes: readonly Lane[];
  readonly limits: FlowControlOptions;
  /** The running jobs of the name (needed with `globalConcurrency` or `groupConcurrency`). */
  readonly running: readonly RunningJob[];
  /** Starts the name may make now (`Infinity`: no name-wide rate window). */
  readonly nameRoom: number;
  /** Starts a lane may make now (`Infinity`: no rate window per group). */
  readonly laneRoom: (group: string | null) => number;
  /** A number in [0, 1). */
  readonly random: () => number;
}

/** Why jobs that were due were left. */
export type HeldBy = 'global' | 'group' | 'rate';

/** A job to claim and its slots. */
export interface PlannedJob extends SlotClaim {
  readonly doc: JobDocument;
  readonly group: string | null;
}

/** The plan. */
export interface ClaimPlan {
  readonly jobs: PlannedJob[];
  /** The last lane that got a job (the next turn starts after it); `undefined`: none did. */
  readonly lastLane: string | null | undefined;
  /** The limits that left due jobs unclaimed. */
  readonly heldBy: ReadonlySet<HeldBy>;
}

/** The numbers of `0 … size-1` not in `taken`, shuffled. */
function freeSlots(size: number, taken: ReadonlySet<number>, random: () => number): number[] {
  const free: number[] = [];
  for (let slot = 0; slot < size; slot += 1) if (!taken.has(slot)) free.push(slot);
  for (let i = free.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [free[i], free[j]] = [free[j] as number, free[i] as number];
  }
  return free;
}

/** Plans one claim turn of one name. */
export function planClaim(input: PlanInput): ClaimPlan {
  const { limits, running, random } = input;
  const heldBy = new Set<HeldBy>();
  const global = limits.globalConcurrency;
  const globalFree =
    global === undefined ? [] : freeSlots(global, new Set(running.map((job) => job.limitSlot ?? -1)), random);
  const globalRoom = global === undefined ? Number.POSITIVE_INFINITY : Math.max(0, global - running.length);
  let budget = Math.min(input.want, globalRoom, input.nameRoom);
  const lanes = input.lanes.map((lane) => {
    const cap = lane.group === null ? undefined : limits.groupConcurrency;
    const held = cap === undefined ? [] : running.filter((job) => job.group === lane.group);
    return {
      lane,
      next: 0,
      groupRoom: cap === undefined ? Number.POSITIVE_INFINITY : Math.max(0, cap - held.length),
      rateRoom: input.laneRoom(lane.group),
      free: cap === undefined ? undefined : freeSlots(cap, new Set(held.map((job) => job.groupSlot ?? -1)), random),
    };
  });
  const jobs: PlannedJob[] = [];
  let lastLane: string | null | undefined;
  let progress = true;
  while (budget > 0 && progress) {
    progress = false;
    for (const state of lanes) {
      if (budget === 0 || state.next >= state.lane.jobs.length) continue;
      if (state.groupRoom <= 0 || state.rateRoom <= 0) {
        heldBy.add(state.rateRoom <= 0 ? 'rate' : 'group');
        continue;
      }
      const doc = state.lane.jobs[state.next] as JobDocument;
      state.next += 1;
      state.groupRoom -= 1;
      state.rateRoom -= 1;
      budget -= 1;
      progress = true;
      lastLane = state.lane.group;
      jobs.push({
        doc,
        id: doc._id,
        name: doc.name,
        group: state.lane.group,
        ...(global === undefined ? {} : { limitSlot: globalFree.pop() as number }),
        ...(state.free === undefined ? {} : { groupSlot: state.free.pop() as number }),
      });
    }
  }
  const left = lanes.some((state) => state.next < state.lane.jobs.length);
  if (left && jobs.length < input.want) {
    if (jobs.length >= globalRoom) heldBy.add('global');
    if (jobs.length >= input.nameRoom) heldBy.add('rate');
  } else heldBy.clear();
  return { jobs, lastLane, heldBy };
}
