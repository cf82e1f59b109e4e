/**
 * Recurring jobs: one document per `name` (+ `uniqueKey`), holding the key `s:<uniqueKey>` while
 * `pending`/`processing`. `schedule()` creates or updates it; `unschedule()` removes it.
 */
import type { Collection, Filter } from 'mongodb';
import type { BackoffOptions } from '../job.js';
import { JobStatus, type JobStatusType } from '../job.js';
import { activeKeyOf, isDuplicateKeyError, type JobDocument, unsetOf } from './job-document.js';

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

/** The statuses of a recurring job (it is never `waiting`). */
const SCHEDULE_STATUSES: readonly JobStatusType[] = [JobStatus.PENDING, JobStatus.PROCESSING];

/** What `schedule()` writes over an existing recurring job: its data, cron, time zone and options. */
function fieldsOf(
  spec: ScheduleSpec,
  timezone: string,
  now: Date,
): { set: Partial<JobDocument>; unset: Record<string, ''> } {
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
  return { set, unset: unsetOf(...unset) };
}

/** Writes recurring jobs. */
export class ScheduleStore {
  constructor(private readonly collection: Collection<JobDocument>) {}

  /**
   * Creates the recurring job for `name` (+ `uniqueKey`) or updates its data, cron, time zone and
   * options (priority, group, retry policy). A changed cron or time zone also moves a `pending` job
   * to the new `nextRunAt`; an unchanged one keeps its due time, so re-scheduling on every boot
   * neither delays nor repeats a run. A running occurrence keeps running; its outcome write notices
   * a changed cron (it is fenced on the cron it ran with) and follows the new one.
   *
   * Every write is whole: the new cron and the due time it implies are written by one command, so
   * a call cut off half-way leaves either the old schedule or the new one, and calling it again
   * (after a lost reply, say) finishes the job instead of keeping the old cron's due time. An
   * unchanged cron is one command; a changed one reads the schedule, then writes it fenced on what
   * it read (its status, cron and time zone). Index: `monque_unique_active_key`.
   */
  async upsert<T>(spec: ScheduleSpec<T>, now: Date): Promise<JobDocument<T>> {
    const key = { name: spec.name, activeKey: activeKeyOf('s', spec.uniqueKey) };
    const timezone = spec.timezone ?? 'UTC';
    const { set, unset } = fieldsOf(spec, timezone, now);
    const onInsert: Partial<JobDocument> = {
      status: JobStatus.PENDING,
      nextRunAt: spec.nextRunAt,
      lockedAt: null,
      failCount: 0,
      attempts: 0,
      createdAt: now,
    };
    if (spec.uniqueKey !== undefined) onInsert.uniqueKey = spec.uniqueKey;
    // The schedule as asked for already stands (or none exists): its data and options, nothing else.
    const unchanged = { ...key, status: { $in: SCHEDULE_STATUSES }, repeatInterval: spec.cron, timezone };
    // A duplicate-key refusal no document holding the key explains (a race lost to another
    // writer, or another unique index): passed on when it is the last attempt's.
    let unexplained: unknown;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      let refusal: unknown;
      try {
        const doc = await this.collection.findOneAndUpdate(
          unchanged,
          { $set: set, $setOnInsert: onInsert, $unset: unset },
          { upsert: true, returnDocument: 'after' },
        );
        if (doc) return doc as JobDocument<T>;
      } catch (error) {
        // Another document holds the key: a schedule with another cron or time zone, or a
        // finished job still holding it.
        if (!isDuplicateKeyError(error)) throw error;
        refusal = error;
      }
      const current = await this.collection.findOne(key);
      unexplained = current ? undefined : refusal;
      if (!current) continue;
      if (!SCHEDULE_STATUSES.includes(current.status)) {
        // A finished job still holding the key (edited by hand): it gives the key up, and the
        // schedule starts afresh in a new document.
        await this.collection.updateOne({ _id: current._id, status: current.status }, { $unset: unsetOf('activeKey') });
        continue;
      }
      // The cron or time zone changed (or a schedule stored before time zones were recorded): a
      // pending job moves to the new due time in the same write.
      const cronChanged = current.repeatInterval !== spec.cron || (current.timezone ?? 'UTC') !== timezone;
      const moved = cronChanged && current.status === JobStatus.PENDING ? { ...set, nextRunAt: spec.nextRunAt } : set;
      const asRead: Filter<JobDocument> = {
        _id: current._id,
        status: current.status,
        repeatInterval: current.repeatInterval,
      };
      // `null` also matches a schedule stored before time zones were recorded.
      Object.assign(asRead, { timezone: current.timezone ?? null });
      const changed = await this.collection.findOneAndUpdate(
        asRead,
        { $set: moved, $unset: unset },
        { returnDocument: 'after' },
      );
      if (changed) return changed as JobDocument<T>;
    }
    throw (
      unexplained ??
      new Error(`could not write the schedule '${spec.name}': it kept changing during ${MAX_ATTEMPTS} attempts`)
    );
  }

  /**
   * Removes the recurring job `name` (+ `uniqueKey`): deleted when `pending`; when `processing`, it
   * stops being recurring, so the running occurrence is its last and then completes or fails like a
   * one-off job. Returns whether there was such a schedule. A run that ends between the delete and
   * the update (the job `pending` again for its next time) is missed by both: a read then finds it
   * and both are tried again (up to 5 rounds), so `false` means a read saw no such schedule. Index:
   * `monque_unique_active_key`.
   */
  async remove(name: string, uniqueKey: string | undefined, now: Date): Promise<boolean> {
    const filter = { name, activeKey: activeKeyOf('s', uniqueKey) };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const deleted = await this.collection.deleteOne({ ...filter, status: JobStatus.PENDING });
      if (deleted.deletedCount > 0) return true;
      const ended = await this.collection.updateOne(
        { ...filter, status: JobStatus.PROCESSING },
        { $unset: unsetOf('repeatInterval', 'timezone', 'activeKey'), $set: { updatedAt: now } },
      );
      if (ended.matchedCount > 0) return true;
      // Neither write found it: there is no such schedule, or its run ended between the two
      // (`pending` again, for its next occurrence) and the delete is tried again.
      const current = await this.collection.findOne({ ...filter, status: { $in: SCHEDULE_STATUSES } });
      if (!current) return false;
    }
    throw new Error(`could not remove the schedule '${name}': it kept changing during ${MAX_ATTEMPTS} attempts`);
  }
}
