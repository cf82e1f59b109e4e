/**
 * The plan of one flow-controlled claim turn, exactly: lanes take turns one job each (a group with
 * one job is served in the first round beside a group with many), claim order within a lane, every
 * limit bounds the plan (free slots, globalConcurrency minus running jobs, the name's rate room, a
 * group's groupConcurrency and rate room), slot numbers are free ones, and what held jobs back is
 * reported.
 */
import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { type Lane, type PlanInput, planClaim } from '../../src/engine/limits/claim-plan.js';
import type { JobDocument } from '../../src/store/job-document.js';
import type { RunningJob } from '../../src/store/limited-claim-store.js';

const T = new Date('2030-01-01T00:00:00Z');

function job(tag: string, group?: string): JobDocument {
  return {
    _id: new ObjectId(),
    name: 'task',
    data: { tag },
    status: 'pending',
    nextRunAt: T,
    lockedAt: null,
    failCount: 0,
    createdAt: T,
    updatedAt: T,
    ...(group === undefined ? {} : { group }),
  };
}

function lane(group: string | null, count: number): Lane {
  return { group, jobs: Array.from({ length: count }, (_, n) => job(`${group ?? '-'}${n + 1}`, group ?? undefined)) };
}

function plan(input: Partial<PlanInput> & Pick<PlanInput, 'lanes'>) {
  const result = planClaim({
    want: 10,
    limits: {},
    running: [],
    nameRoom: Number.POSITIVE_INFINITY,
    laneRoom: () => Number.POSITIVE_INFINITY,
    random: () => 0,
    ...input,
  });
  return { ...result, tags: result.jobs.map((planned) => (planned.doc.data as { tag: string }).tag) };
}

describe('claim plan', () => {
  it('lanes take turns, one job each per round, in claim order within a lane', () => {
    const { tags, lastLane, heldBy } = plan({ want: 5, lanes: [lane('big', 100), lane('small', 1), lane(null, 2)] });
    expect(tags).toEqual(['big1', 'small1', '-1', 'big2', '-2']);
    expect(lastLane).toBeNull();
    // Nothing held back by a limit: only the instance's free slots.
    expect(heldBy.size).toBe(0);
  });

  it('globalConcurrency: at most the slots no running job holds, each planned job with a free slot number', () => {
    const running: RunningJob[] = [{ limitSlot: 0 }, { limitSlot: 2 }];
    const { jobs, heldBy } = plan({ want: 5, lanes: [lane('a', 5)], limits: { globalConcurrency: 4 }, running });
    expect(jobs.map((planned) => planned.limitSlot).sort()).toEqual([1, 3]);
    expect(heldBy).toEqual(new Set(['global']));
  });

  it('globalConcurrency: a running job without a slot still counts (limits set while it ran)', () => {
    const { jobs } = plan({
      lanes: [lane(null, 5)],
      limits: { globalConcurrency: 3 },
      running: [{}, { limitSlot: 0 }],
    });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.limitSlot).not.toBe(0);
  });

  it('groupConcurrency: per group, minus its running jobs; jobs without a group are not limited by it', () => {
    const running: RunningJob[] = [{ group: 'a', groupSlot: 1 }];
    const { tags, jobs, heldBy } = plan({
      lanes: [lane('a', 5), lane('b', 5), lane(null, 3)],
      limits: { groupConcurrency: 2 },
      running,
    });
    expect(tags).toEqual(['a1', 'b1', '-1', 'b2', '-2', '-3']);
    expect(jobs.find((planned) => planned.group === 'a')?.groupSlot).toBe(0);
    expect(
      jobs
        .filter((planned) => planned.group === 'b')
        .map((planned) => planned.groupSlot)
        .sort(),
    ).toEqual([0, 1]);
    expect(jobs.filter((planned) => planned.group === null).every((planned) => planned.groupSlot === undefined)).toBe(
      true,
    );
    expect(heldBy).toEqual(new Set(['group']));
  });

  it("rate room of the name bounds the whole plan; a lane's rate room bounds the lane", () => {
    expect(plan({ lanes: [lane('a', 5), lane('b', 5)], nameRoom: 3 }).tags).toEqual(['a1', 'b1', 'a2']);
    expect(plan({ lanes: [lane('a', 5), lane('b', 5)], nameRoom: 3 }).heldBy).toEqual(new Set(['rate']));
    const perLane = plan({
      want: 7,
      lanes: [lane('a', 5), lane('b', 5)],
      laneRoom: (group) => (group === 'a' ? 1 : 9),
    });
    expect(perLane.tags).toEqual(['a1', 'b1', 'b2', 'b3', 'b4', 'b5']);
    expect(perLane.heldBy).toEqual(new Set(['rate']));
  });

  it('nothing held back when every due job was planned, whatever the limits', () => {
    const { tags, heldBy } = plan({
      lanes: [lane('a', 2)],
      limits: { globalConcurrency: 2, groupConcurrency: 2 },
      nameRoom: 2,
    });
    expect(tags).toEqual(['a1', 'a2']);
    expect(heldBy.size).toBe(0);
  });

  it('no room at all: an empty plan that says why', () => {
    const full = plan({ lanes: [lane('a', 2)], limits: { globalConcurrency: 1 }, running: [{ limitSlot: 0 }] });
    expect(full.jobs).toEqual([]);
    expect(full.lastLane).toBeUndefined();
    expect(full.heldBy).toEqual(new Set(['global']));
    expect(plan({ lanes: [lane('a', 2)], nameRoom: 0 }).heldBy).toEqual(new Set(['rate']));
  });

  it('slot numbers are shuffled with the random source (instances rarely pick the same)', () => {
    const low = plan({ want: 1, lanes: [lane(null, 1)], limits: { globalConcurrency: 4 }, random: () => 0 });
    const high = plan({ want: 1, lanes: [lane(null, 1)], limits: { globalConcurrency: 4 }, random: () => 0.99 });
    expect(low.jobs[0]?.limitSlot).not.toBe(high.jobs[0]?.limitSlot);
  });
});
