/**
 * Operator reads of the jobs collection: one job, pages of jobs, counts and statistics. Reads only;
 * nothing here writes.
 */
import type { Collection, Filter, ObjectId } from 'mongodb';
import { JOB_STATUSES, JobStatus } from '../job.js';
import type { NameStats, QueueStats, StatusCounts } from '../queries.js';
import type { JobDocument } from './job-document.js';
import { type CheckedPage, encodeCursor, sortOf, startingAfter } from './job-page.js';
import { type CheckedQuery, queryFilter, selectStatuses } from './job-query.js';

/** Where a page of schedules starts: after the recurring job with this name and unique key. */
export interface ScheduleAfter {
  readonly name: string;
  readonly uniqueKey?: string;
}

/** A page of stored jobs and the cursor of the next one. */
export interface DocumentPage {
  docs: JobDocument[];
  nextCursor: string | null;
}

function emptyCounts(): StatusCounts {
  return { waiting: 0, pending: 0, due: 0, processing: 0, completed: 0, failed: 0, cancelled: 0 };
}

/** Reads jobs for the operations API. */
export class InspectStore {
  constructor(private readonly collection: Collection<JobDocument>) {}

  /** One job by id (index `_id`). */
  findById(id: ObjectId): Promise<JobDocument | null> {
    return this.collection.findOne({ _id: id });
  }

  /**
   * One page of the jobs matching `query` in the page's order (newest first unless `page.sort`
   * says otherwise), starting after `page.after`: one `find` of `limit + 1` documents (the extra
   * one only tells whether a next page exists). Keyset pagination on the sort key and the immutable
   * `_id`: in the default order, every job that existed when the first page was read is listed
   * exactly once, whatever is added meanwhile. Indexes: see `job-query.ts` and `job-page.ts`.
   */
  async list(query: CheckedQuery, page: CheckedPage): Promise<DocumentPage> {
    const filter = startingAfter(queryFilter(query), page);
    const docs = await this.collection
      .find(filter)
      .sort(sortOf(page))
      .limit(page.limit + 1)
      .toArray();
    const more = docs.length > page.limit;
    if (more) docs.length = page.limit;
    const last = docs[docs.length - 1];
    return { docs, nextCursor: more && last ? encodeCursor(last, page.sort) : null };
  }

  /**
   * The recurring jobs still scheduled (`pending` or `processing`, holding their schedule key), by
   * name, then unique key, at most `limit`; with `after`, those after that one in this order (one
   * recurring job per name and unique key, and one without a key sorts first). Index
   * `monque_schedules`, partial on exactly these jobs.
   */
  schedules(name: string | undefined, limit: number, after?: ScheduleAfter): Promise<JobDocument[]> {
    const sameName = (uniqueKey: string | undefined) =>
      uniqueKey === undefined ? { $exists: true } : { $gt: uniqueKey };
    return this.collection
      .find({
        repeatInterval: { $exists: true },
        activeKey: { $exists: true },
        ...(name === undefined ? {} : { name }),
        ...(after === undefined
          ? {}
          : { $or: [{ name: { $gt: after.name } }, { name: after.name, uniqueKey: sameName(after.uniqueKey) }] }),
      })
      .sort({ name: 1, uniqueKey: 1, _id: 1 })
      .limit(limit)
      .toArray();
  }

  /** How many jobs match (one `countDocuments`; the same indexes as {@link list}). */
  count(query: CheckedQuery): Promise<number> {
    return this.collection.countDocuments(queryFilter(query));
  }

  /**
   * Counts per name and status. One `aggregate` per status the query selects, plus one for due
   * jobs, all sent at once: `$match` on the status (and the query), then `$group` by `name` with
   * `$sum: 1` — index `monque_claim_priority` `{status, name, priority, nextRunAt}` covers them on
   * MongoDB. Then, for each name with due jobs, a `find` of its oldest due job (`nextRunAt`
   * ascending, limit 1). (`$min`/`$first` or a compound `$group` key would do it in fewer
   * commands, but not every MongoDB-compatible server computes them; these two stages are exact
   * everywhere.)
   */
  async stats(query: CheckedQuery, now: Date): Promise<QueueStats> {
    const statuses = selectStatuses(query, JOB_STATUSES);
    const groups: { counter: keyof StatusCounts; filter: Filter<JobDocument> }[] = statuses.map((status) => ({
      counter: status,
      filter: queryFilter(query, [status]),
    }));
    if (statuses.includes(JobStatus.PENDING)) {
      groups.push({ counter: 'due', filter: { ...queryFilter(query, [JobStatus.PENDING]), nextRunAt: { $lte: now } } });
    }
    const results = await Promise.all(groups.map(({ filter }) => this.countByName(filter)));
    const total = emptyCounts();
    // Names are counted in a Map and made an object once, from entries: a job name such as
    // `__proto__` or `constructor` is a key like any other (`byName[name] ??=` on a plain object
    // found the inherited member, dropped the name and wrote its counts onto Object.prototype).
    const byName = new Map<string, NameStats>();
    results.forEach((counts, index) => {
      const counter = (groups[index] as (typeof groups)[number]).counter;
      for (const [name, count] of counts) {
        let stats = byName.get(name);
        if (!stats) {
          stats = { ...emptyCounts(), oldestDueAt: null };
          byName.set(name, stats);
        }
        stats[counter] += count;
        total[counter] += count;
      }
    });
    const due = [...byName].filter(([, stats]) => stats.due > 0);
    const oldest = await Promise.all(due.map(([name]) => this.oldestDue(query, name, now)));
    due.forEach(([, stats], index) => {
      stats.oldestDueAt = oldest[index] ?? null;
    });
    return { total, byName: Object.fromEntries(byName) };
  }

  private async countByName(filter: Filter<JobDocument>): Promise<[string, number][]> {
    const rows = await this.collection
      .aggregate<{ _id: string; count: number }>([{ $match: filter }, { $group: { _id: '$name', count: { $sum: 1 } } }])
      .toArray();
    return rows.map((row) => [row._id, row.count]);
  }

  /** `nextRunAt` of the longest-waiting due job of `name` (index `monque_claim_priority`). */
  private async oldestDue(query: CheckedQuery, name: string, now: Date): Promise<Date | undefined> {
    const filter = { ...queryFilter(query, [JobStatus.PENDING]), name, nextRunAt: { $lte: now } };
    const [doc] = await this.collection
      .find(filter, { projection: { nextRunAt: 1 } })
      .sort({ nextRunAt: 1 })
      .limit(1)
      .toArray();
    return doc?.nextRunAt;
  }
}
