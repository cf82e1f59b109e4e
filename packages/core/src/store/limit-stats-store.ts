/**
 * What operators see of flow control: how many due jobs each limited name holds back (`limited`
 * in `getStats()`), its published limits, and the counts of a name's groups (`getGroupStats()`).
 * Reads only. Counts per group are one `aggregate` per status (`$match` on status, name and an
 * existing group — index `monque_claim_group` — then `$group` by group with `$sum: 1`).
 */
import type { Collection, Filter } from 'mongodb';
import type { FlowControlOptions } from '../flow-control-options.js';
import { JobStatus, type JobStatusType } from '../job.js';
import { heldBack, type RateState, startableInGroup } from '../limits/held-back.js';
import type { GroupStats, NameStats } from '../queries.js';
import type { JobDocument } from './job-document.js';
import { type LimitStore, rateIdOf } from './limit-store.js';
import type { PauseStore } from './pause-store.js';

/** Reads flow-control figures. */
export class LimitStatsStore {
  constructor(
    private readonly collection: Collection<JobDocument>,
    private readonly limits: LimitStore,
    private readonly pauses: PauseStore,
  ) {}

  /**
   * Adds `limits` and `limited` to each name of `byName` (in place): one `find` of the published
   * limits and one of the holds, then, per limited name with due jobs, its rate records and (with
   * `groupConcurrency` or `perGroup`) its counts per group.
   */
  async addLimited(byName: Record<string, NameStats>, now: Date): Promise<void> {
    const [published, gate] = await Promise.all([this.limits.readPublished(), this.pauses.readGate()]);
    const limitsOf = new Map(
      published.map(({ name, globalConcurrency, groupConcurrency, rateLimit }) => [
        name,
        clean({ globalConcurrency, groupConcurrency, rateLimit }),
      ]),
    );
    await Promise.all(
      Object.entries(byName).map(async ([name, stats]) => {
        const limits = limitsOf.get(name);
        if (limits) stats.limits = limits;
        const heldUntil = gate.holds[name];
        if (stats.due === 0 || (!limits && heldUntil === undefined)) return;
        const load = await this.loadOf(name, stats, limits ?? {}, heldUntil, now);
        stats.limited = heldBack(load, limits ?? {}, now.getTime());
      }),
    );
  }

  private async loadOf(
    name: string,
    stats: NameStats,
    limits: FlowControlOptions,
    heldUntil: number | undefined,
    now: Date,
  ) {
    const byGroup = limits.groupConcurrency !== undefined || limits.rateLimit?.perGroup === true;
    const [rates, dueByGroup, runningByGroup] = await Promise.all([
      this.ratesOf(name, limits),
      byGroup ? this.countByGroup(name, JobStatus.PENDING, now) : undefined,
      byGroup ? this.countByGroup(name, JobStatus.PROCESSING) : undefined,
    ]);
    if (dueByGroup) {
      const grouped = [...dueByGroup.values()].reduce((sum, count) => sum + count, 0);
      dueByGroup.set(null, stats.due - grouped);
    }
    return {
      due: stats.due,
      running: stats.processing,
      rates,
      ...(dueByGroup ? { dueByGroup } : {}),
      ...(runningByGroup ? { runningByGroup: runningByGroup as Map<string, number> } : {}),
      ...(heldUntil === undefined ? {} : { heldUntil }),
    };
  }

  private async ratesOf(name: string, limits: FlowControlOptions): Promise<Map<string | null, RateState>> {
    if (!limits.rateLimit) return new Map();
    const records = limits.rateLimit.perGroup
      ? await this.limits.readRatesOf(name)
      : await this.limits.readRates([rateIdOf(name, null)]);
    return new Map(records.map((record) => [record.group, record]));
  }

  /** Jobs of `name` with a group in `status` (due at `dueAt` only, when given), per group. */
  private async countByGroup(name: string, status: JobStatusType, dueAt?: Date): Promise<Map<string | null, number>> {
    const match: Filter<JobDocument> = { status, name, group: { $exists: true } };
    if (dueAt) match.nextRunAt = { $lte: dueAt };
    const rows = await this.collection
      .aggregate<{ _id: string; count: number }>([{ $match: match }, { $group: { _id: '$group', count: { $sum: 1 } } }])
      .toArray();
    return new Map(rows.map((row) => [row._id, row.count]));
  }

  /**
   * The groups of `name` with pending or running jobs, busiest first (running, then due), at most
   * `limit`: one `aggregate` per status (pending, due, processing), then its published limits and
   * rate records to say how many due jobs of each group its limits hold back.
   */
  async groups(name: string, limit: number, now: Date): Promise<GroupStats[]> {
    const [pending, due, processing, published] = await Promise.all([
      this.countByGroup(name, JobStatus.PENDING),
      this.countByGroup(name, JobStatus.PENDING, now),
      this.countByGroup(name, JobStatus.PROCESSING),
      this.limits.readPublished(),
    ]);
    const groups = new Set(
      [...pending.keys(), ...processing.keys()].filter((group): group is string => group !== null),
    );
    const ranked = [...groups]
      .map((group) => ({
        group,
        pending: pending.get(group) ?? 0,
        due: due.get(group) ?? 0,
        processing: processing.get(group) ?? 0,
        limited: 0,
      }))
      .sort((a, b) => b.processing - a.processing || b.due - a.due || (a.group < b.group ? -1 : 1))
      .slice(0, limit);
    const limits = published.find((doc) => doc.name === name);
    if (!limits) return ranked;
    const options = clean(limits);
    const rates = await this.ratesOf(name, options);
    for (const stats of ranked) {
      stats.limited =
        stats.due -
        startableInGroup(stats.group, stats.due, stats.processing, options, rates.get(stats.group), now.getTime());
    }
    return ranked;
  }
}

/** The flow-control options of a published record, without its bookkeeping. */
function clean({ globalConcurrency, groupConcurrency, rateLimit }: FlowControlOptions): FlowControlOptions {
  return {
    ...(globalConcurrency === undefined ? {} : { globalConcurrency }),
    ...(groupConcurrency === undefined ? {} : { groupConcurrency }),
    ...(rateLimit === undefined ? {} : { rateLimit }),
  };
}
