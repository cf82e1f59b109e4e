/**
 * Recurring jobs: one document per `name` (+ `uniqueKey`), holding the key `s:<uniqueKey>` while
 * `pending`/`processing`. `schedule()` creates or updates it; `unschedule()` removes it.
 */
import type { Collection, UpdateFilter } from 'mongodb';
import type { BackoffOptions } from '../job.js';
import { JobStatus } from '../job.js';
import { ACTIVE_STATUSES, activeKeyOf, isDuplicateKeyError, type JobDocument, unsetOf } from './job-document.js';

/** A recurring job to create or update. */
export interface ScheduleSpec<T = unknown> {
  name: string;
  data: T;
  cron: string;
  timezone?: string;
  uniqueKey?: string;
  priority?: number;
  maxRetries?: number;
  backoff?: BackoffOptions;
  timeout?: number;
  group?: string;
  /** The next cron time, used when the schedule is created or its cron/time zone changes. */
  nextRunAt: Date;
}

const MAX_ATTEMPTS = 5;

/** Writes recurring jobs. */
export class ScheduleStore {
  constructor(private readonly collection: Collection<JobDocument>) {}

  /**
   * Creates the recurring job for `name` (+ `uniqueKey`) or updates its data, cron, time zone and
   * options (priority, group, retry policy). A changed cron or time zone also moves a `pending` job to the new `nextRunAt`; an
   * unchanged one keeps its due time, so re-scheduling on every boot neither delays nor repeats a
   * run. A running occurrence keeps running; its outcome write notices a changed cron (it is fenced
   * on the cron it ran with) and follows the new one. Index: `monque_unique_active_key`.
   */
  async upsert<T>(spec: ScheduleSpec<T>, now: Date): Promise<JobDocument<T>> {
    const filter = { name: spec.name, activeKey: activeKeyOf('s', spec.uniqueKey) };
    const timezone = spec.timezone ?? 'UTC';
    const onInsert: Partial<JobDocument> = {
      status: JobStatus.PENDING,
      nextRunAt: spec.nextRunAt,
      lockedAt: null,
      failCount: 0,
      attempts: 0,
      createdAt: now,
    };
    if (spec.uniqueKey !== undefined) onInsert.uniqueKey = spec.uniqueKey;
    const set: Partial<JobDocument> = {
      data: spec.data,
      repeatInterval: spec.cron,
      timezone,
      priority: spec.priority ?? 0,
      updatedAt: now,
    };
    const unset: (keyof JobDocument)[] = [];
    for (const key of ['maxRetries', 'backoff', 'timeout', 'group'] as const) {
      if (spec[key] === undefined) unset.push(key);
      else Object.assign(set, { [key]: spec[key] });
    }
    const update: UpdateFilter<JobDocument> = { $set: set, $setOnInsert: onInsert, $unset: unsetOf(...unset) };
    for (let attempt = 1; ; attempt += 1) {
      let before: JobDocument | null;
      try {
        before = await this.collection.findOneAndUpdate(filter, update, { upsert: true, returnDocument: 'before' });
      } catch (error) {
        if (!isDuplicateKeyError(error) || attempt >= MAX_ATTEMPTS) throw error;
        continue;
      }
      if (before && !ACTIVE_STATUSES.includes(before.status)) {
        // A finished job still holding the key (edited by hand): it gives the key up, and the
        // schedule starts afresh in a new document.
        await this.collection.updateOne({ _id: before._id, status: before.status }, { $unset: unsetOf('activeKey') });
        if (attempt >= MAX_ATTEMPTS) throw new Error(`could not take the schedule key of '${spec.name}'`);
        continue;
      }
      if (before && (before.repeatInterval !== spec.cron || (before.timezone ?? 'UTC') !== timezone)) {
        await this.collection.updateOne(
          { ...filter, status: JobStatus.PENDING },
          { $set: { nextRunAt: spec.nextRunAt } },
        );
      }
      return (await this.collection.findOne(filter)) as JobDocument<T>;
    }
  }

  /**
   * Removes the recurring job `name` (+ `uniqueKey`): deleted when `pending`; when `processing`, it
   * stops being recurring, so the running occurrence is its last and then completes or fails like a
   * one-off job. Returns whether there was such a schedule. Index: `monque_unique_active_key`.
   */
  async remove(name: string, uniqueKey: string | undefined, now: Date): Promise<boolean> {
    const filter = { name, activeKey: activeKeyOf('s', uniqueKey) };
    const deleted = await this.collection.deleteOne({ ...filter, status: JobStatus.PENDING });
    if (deleted.deletedCount > 0) return true;
    const ended = await this.collection.updateOne(
      { ...filter, status: JobStatus.PROCESSING },
      { $unset: unsetOf('repeatInterval', 'timezone', 'activeKey'), $set: { updatedAt: now } },
    );
    return ended.matchedCount > 0;
  }
}
