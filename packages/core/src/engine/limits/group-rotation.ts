/**
 * Fair claiming across the groups of one job name: where each name's rotation stands in this
 * instance, and the reads that fill the lanes of a turn.
 *
 * The groups of a name form a ring in group order, with the jobs without a group as one more lane
 * before the first group. Each turn starts after the last lane served in the previous one, so
 * every group with due jobs is reached within one round of the ring whatever the others hold.
 * The reads go through the index `monque_claim_group` in group order, from the cursor to the end,
 * then from the first group up to the cursor; a window that comes back full, while the lanes seen
 * cannot yet fill the turn (groups at their `groupConcurrency`), is followed by a read that skips
 * past its last group. At most {@link MAX_GROUP_READS} reads per turn.
 */

import type { JobDocument } from '../../store/job-document.js';
import type { GroupRange } from '../../store/limited-claim-store.js';
import type { Lane } from './claim-plan.js';

/** Most reads of one name's groups in one turn. */
export const MAX_GROUP_READS = 4;

/** Reads one range of groups (the store's query, bounded in time by the caller). */
export type GroupRead = (range: GroupRange, limit: number) => Promise<JobDocument[]>;

/**
 * Whether the lanes seen so far can fill the turn (counting of each lane only what its limits let
 * start now: a group at its `groupConcurrency`, or held by its rate window, fills nothing).
 */
export type Enough = (lanes: readonly Lane[]) => boolean | Promise<boolean>;

function lanesOf(docs: readonly JobDocument[]): Lane[] {
  const lanes: { group: string; jobs: JobDocument[] }[] = [];
  for (const doc of docs) {
    const last = lanes[lanes.length - 1];
    if (last && last.group === doc.group) last.jobs.push(doc);
    else lanes.push({ group: doc.group as string, jobs: [doc] });
  }
  return lanes;
}

/** The rotation of each name's groups in this instance. */
export class GroupRotation {
  /** Per name: the last lane served (`null`: the jobs without a group). */
  private readonly cursors = new Map<string, string | null>();

  /** Per name: the last group read by a turn whose reads ran out before the lanes could fill it. */
  private readonly reached = new Map<string, string>();

  /** `lastLane` was the last lane to get a job of `name` (the next turn starts after it). */
  served(name: string, lastLane: string | null | undefined): void {
    if (lastLane !== undefined) this.cursors.set(name, lastLane);
  }

  /**
   * A turn of `name` got no job. When its reads ran out (groups at their limits ahead), the next
   * turn starts after the last group it read, so it reaches the groups beyond them.
   */
  idle(name: string): void {
    const reached = this.reached.get(name);
    if (reached !== undefined) this.cursors.set(name, reached);
  }

  /**
   * The lanes of one turn of `name`, in rotation order. `ungrouped` are the name's due jobs
   * without a group, in claim order (from the claimer's read of due jobs: once the name is known
   * to have groups, a read of its jobs without a group only, so no grouped backlog hides them).
   */
  async lanes(
    name: string,
    ungrouped: readonly JobDocument[],
    window: number,
    read: GroupRead,
    enough: Enough,
  ): Promise<Lane[]> {
    const cursor = this.cursors.get(name);
    this.reached.delete(name);
    let last: string | undefined;
    const plain: Lane = { group: null, jobs: ungrouped };
    const after: Lane[] = [];
    const before: Lane[] = [];
    let reads = 0;
    const seen = (): Lane[] => [...after, plain, ...before];
    // Groups after the cursor, then (wrapping around) from the first group up to it.
    const segments: { into: Lane[]; range: GroupRange }[] =
      cursor === undefined || cursor === null
        ? [{ into: after, range: { after: null } }]
        : [
            { into: after, range: { after: cursor } },
            { into: before, range: { after: null, upTo: cursor } },
          ];
    for (const { into, range } of segments) {
      let from = range.after;
      while (reads < MAX_GROUP_READS) {
        reads += 1;
        const docs = await read({ ...range, after: from }, window);
        into.push(...lanesOf(docs));
        if (docs.length < window || (await enough(seen()))) break;
        from = (docs[docs.length - 1] as JobDocument).group as string;
        last = from;
      }
      if (reads >= MAX_GROUP_READS || (await enough(seen()))) break;
    }
    if (reads >= MAX_GROUP_READS && last !== undefined && !(await enough(seen()))) this.reached.set(name, last);
    const lanes = cursor === undefined ? [plain, ...after] : seen();
    return lanes.filter((lane) => lane.jobs.length > 0);
  }
}
