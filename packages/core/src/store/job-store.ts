/**
 * The only module that speaks MongoDB. Every query Monque runs is a method here, with the
 * index it relies on; the engine and the facade call these methods and never build queries.
 *
 * Fields beyond the public {@link Job}:
 * - `activeKey`: exists only while a deduplicated job is `pending`/`processing` (`u:<uniqueKey>`
 *   for one-off jobs, `s:<uniqueKey>` for schedules). The unique index on `{name, activeKey}` is
 *   partial on `activeKey` existing, which every MongoDB version accepts (`$in` in a partial filter
 *   needs 6.0+).
 * - `claimToken`: a fresh random string stamped on each claim. Outcome writes are fenced on it, so a run that
 *   lost its job (stale recovery) can never overwrite the result of whoever holds it now.
 */
import { randomUUID } from 'node:crypto';
import type { AnyBulkWriteOperation, Collection, Db, Filter, ObjectId, OptionalId, UpdateFilter } from 'mongodb';
import { type Job, JobStatus, type JobStatusType } from '../types.js';

/**
 * A job as stored, with the engine's own fields.
 *
 * Monque never constructs BSON values itself (ids come from the driver or the server, claim tokens
 * are strings): the `Db` it is given may come from another copy of the driver (Mongoose bundles its
 * own), and BSON values of one major version are rejected by another.
 */
export interface JobDocument<T = unknown> extends Job<T> {
  activeKey?: string;
  claimToken?: string | null;
}

/** What a new job is made of. */
export interface NewJob<T = unknown> {
  name: string;
  data: T;
  nextRunAt: Date;
  uniqueKey?: string;
}

/** A recurring job to create or update. */
export interface ScheduleSpec<T = unknown> {
  name: string;
  data: T;
  cron: string;
  timezone?: string;
  uniqueKey?: string;
  /** The next cron time, used when the schedule is created or its cron/time zone changes. */
  nextRunAt: Date;
}

/** How many jobs of one name an instance can take now. */
export interface ClaimRequest {
  name: string;
  limit: number;
}

/** The state a finished run (or a stale recovery) moves a job to. */
export interface Transition {
  status: JobStatusType;
  /** New due time (for `pending`). */
  nextRunAt?: Date;
  failCount?: number;
  /** The failure message; `null` removes a previous one. */
  failReason?: string | null;
  /** Set when a run succeeded. */
  completedAt?: Date;
  /** Clears the claim token (stale recovery), so the old run's writes are fenced out. */
  clearClaim?: boolean;
}

/** A transition of one job, fenced on the claim that ran it or on the lock a recovery saw. */
export interface JobOutcome {
  job: JobDocument;
  transition: Transition;
  fence: { claimToken: string } | { lockedAt: Date };
}

const UNIQUE_INDEX_NAME = 'monque_unique_active_key';

function activeKeyOf(kind: 'u' | 's', uniqueKey: string | undefined): string {
  return `${kind}:${uniqueKey ?? ''}`;
}

function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}

/** Strips the engine's own fields. */
export function toPublicJob<T>(doc: JobDocument<T>): Job<T> {
  const { activeKey: _activeKey, claimToken: _claimToken, ...job } = doc;
  return job;
}

/** Reads and writes the jobs collection. */
export class JobStore {
  readonly collection: Collection<JobDocument>;
  private indexes: Promise<void> | undefined;

  constructor(db: Db, collectionName: string) {
    this.collection = db.collection<JobDocument>(collectionName);
  }

  /**
   * Creates the indexes once (idempotent; a failed attempt is retried by the next caller):
   * - `{status, name, nextRunAt}`: claiming (equality on status and name, range and sort on nextRunAt);
   * - `{name, activeKey}` unique, partial on `activeKey` existing: deduplication;
   * - `{status, lockedAt}`: stale recovery;
   * - `{owner, status}`: the heartbeat.
   */
  ensureIndexes(): Promise<void> {
    this.indexes ??= this.collection
      .createIndexes([
        { key: { status: 1, name: 1, nextRunAt: 1 }, name: 'monque_claim' },
        {
          key: { name: 1, activeKey: 1 },
          name: UNIQUE_INDEX_NAME,
          unique: true,
          partialFilterExpression: { activeKey: { $exists: true } },
        },
        { key: { status: 1, lockedAt: 1 }, name: 'monque_stale' },
        { key: { owner: 1, status: 1 }, name: 'monque_owner' },
      ])
      .then(() => undefined)
      .catch((error: unknown) => {
        this.indexes = undefined;
        throw error;
      });
    return this.indexes;
  }

  private newDocument<T>(job: NewJob<T>, now: Date): OptionalId<JobDocument<T>> {
    const doc: OptionalId<JobDocument<T>> = {
      name: job.name,
      data: job.data,
      status: JobStatus.PENDING,
      nextRunAt: job.nextRunAt,
      lockedAt: null,
      failCount: 0,
      createdAt: now,
      updatedAt: now,
    };
    if (job.uniqueKey !== undefined) {
      doc.uniqueKey = job.uniqueKey;
      doc.activeKey = activeKeyOf('u', job.uniqueKey);
    }
    return doc;
  }

  /** Inserts one job (one `insert`). */
  async insert<T>(job: NewJob<T>, now: Date): Promise<JobDocument<T>> {
    const doc = this.newDocument(job, now);
    const { insertedId } = await this.collection.insertOne(doc as JobDocument); // `_id` is assigned by the driver
    return { ...doc, _id: insertedId };
  }

  /**
   * Inserts a job unless one with the same name and unique key is active; returns whichever
   * job holds the key (one `findAndModify` upsert; a lost duplicate-key race reads the winner).
   */
  async insertUnique<T>(job: NewJob<T> & { uniqueKey: string }, now: Date): Promise<JobDocument<T>> {
    const { name: _name, activeKey, ...onInsert } = this.newDocument(job, now);
    const filter = { name: job.name, activeKey: activeKey as string };
    for (let attempt = 0; ; attempt += 1) {
      try {
        const doc = await this.collection.findOneAndUpdate(
          filter,
          { $setOnInsert: onInsert as Partial<JobDocument> },
          { upsert: true, returnDocument: 'after' },
        );
        if (doc) return doc as JobDocument<T>;
      } catch (error) {
        if (!isDuplicateKeyError(error) || attempt >= 3) throw error;
      }
      const existing = await this.collection.findOne(filter);
      if (existing) return existing as JobDocument<T>;
    }
  }

  /**
   * Inserts many jobs: one `insert` for those without a unique key, one `update` batch of upserts
   * for those with one plus one `find` to read them back.
   */
  async insertMany<T>(jobs: readonly NewJob<T>[], now: Date): Promise<JobDocument<T>[]> {
    const results: (JobDocument<T> | undefined)[] = new Array(jobs.length);
    const plain: { index: number; doc: OptionalId<JobDocument<T>> }[] = [];
    const unique: { index: number; doc: OptionalId<JobDocument<T>> }[] = [];
    jobs.forEach((job, index) => {
      const doc = this.newDocument(job, now);
      (doc.activeKey === undefined ? plain : unique).push({ index, doc });
    });
    if (plain.length > 0) {
      const { insertedIds } = await this.collection.insertMany(
        plain.map(({ doc }) => doc as JobDocument), // `_id`s are assigned by the driver
        { ordered: true },
      );
      plain.forEach(({ index, doc }, position) => {
        results[index] = { ...doc, _id: insertedIds[position] as ObjectId };
      });
    }
    if (unique.length > 0) {
      const operations: AnyBulkWriteOperation<JobDocument>[] = unique.map(({ doc }) => {
        const { name, activeKey, ...onInsert } = doc;
        return {
          updateOne: {
            filter: { name, activeKey: activeKey as string },
            update: { $setOnInsert: onInsert as Partial<JobDocument> },
            upsert: true,
          },
        };
      });
      await this.collection.bulkWrite(operations, { ordered: true });
      const keys = unique.map(({ doc }) => ({ name: doc.name, activeKey: doc.activeKey as string }));
      const stored = await this.collection.find({ $or: keys }).toArray();
      const byKey = new Map(stored.map((doc) => [`${doc.name}\0${doc.activeKey}`, doc as JobDocument<T>]));
      for (const { index, doc } of unique) {
        // A job that held the key may have finished between the upsert and the read-back: enqueue
        // that one again on its own (rare), so the result keeps one job per item, in order.
        results[index] =
          byKey.get(`${doc.name}\0${doc.activeKey}`) ??
          (await this.insertUnique(
            { ...jobs[index], uniqueKey: doc.uniqueKey as string } as NewJob<T> & { uniqueKey: string },
            now,
          ));
      }
    }
    return results as JobDocument<T>[];
  }

  /**
   * Removes the recurring job `name` (+ `uniqueKey`): deleted when `pending`; when `processing`,
   * it stops being recurring, so the running occurrence is its last and then completes or fails
   * like a one-off job. Returns whether there was such a schedule.
   */
  async removeSchedule(name: string, uniqueKey: string | undefined, now: Date): Promise<boolean> {
    const filter = { name, activeKey: activeKeyOf('s', uniqueKey) };
    const deleted = await this.collection.deleteOne({ ...filter, status: JobStatus.PENDING });
    if (deleted.deletedCount > 0) return true;
    const ended = await this.collection.updateOne(
      { ...filter, status: JobStatus.PROCESSING },
      { $unset: { repeatInterval: '', timezone: '', activeKey: '' }, $set: { updatedAt: now } },
    );
    return ended.matchedCount > 0;
  }

  /**
   * Creates the recurring job for `name` (+ `uniqueKey`) or updates its data, cron and time zone.
   * A changed cron or time zone also moves a `pending` job to the new `nextRunAt`; an unchanged
   * one keeps its due time, so re-scheduling on every boot neither delays nor repeats a run.
   */
  async upsertSchedule<T>(spec: ScheduleSpec<T>, now: Date): Promise<JobDocument<T>> {
    const filter = { name: spec.name, activeKey: activeKeyOf('s', spec.uniqueKey) };
    const timezone = spec.timezone ?? 'UTC';
    const onInsert: Partial<JobDocument> = {
      status: JobStatus.PENDING,
      nextRunAt: spec.nextRunAt,
      lockedAt: null,
      failCount: 0,
      createdAt: now,
    };
    if (spec.uniqueKey !== undefined) onInsert.uniqueKey = spec.uniqueKey;
    const update: UpdateFilter<JobDocument> = {
      $set: { data: spec.data, repeatInterval: spec.cron, timezone, updatedAt: now },
      $setOnInsert: onInsert,
    };
    let before: JobDocument | null = null;
    for (let attempt = 0; ; attempt += 1) {
      try {
        before = await this.collection.findOneAndUpdate(filter, update, { upsert: true, returnDocument: 'before' });
        break;
      } catch (error) {
        if (!isDuplicateKeyError(error) || attempt >= 3) throw error;
      }
    }
    if (before && (before.repeatInterval !== spec.cron || (before.timezone ?? 'UTC') !== timezone)) {
      await this.collection.updateOne(
        { ...filter, status: JobStatus.PENDING },
        { $set: { nextRunAt: spec.nextRunAt } },
      );
    }
    return (await this.collection.findOne(filter)) as JobDocument<T>;
  }

  private claimUpdate(owner: string, token: string, now: Date): UpdateFilter<JobDocument> {
    return {
      $set: {
        status: JobStatus.PROCESSING,
        owner,
        claimToken: token,
        lockedAt: now,
        startedAt: now,
        updatedAt: now,
      },
    };
  }

  /**
   * Claims due jobs for this instance, at most `limit` per name, oldest `nextRunAt` first.
   *
   * One job: a single `findAndModify` guarded by status and due time. More: per name, a `find` of
   * due ids (index `monque_claim`); when it finds one, a `findAndModify` of that id guarded again by
   * status and due time; when it finds more, one `updateMany` guarded again by status and due time that
   * stamps a fresh claim token, then one `find` by that token. A job another instance took in between
   * is simply not in the read-back: each document is updated atomically, so each job has one owner.
   */
  async claim(requests: readonly ClaimRequest[], owner: string, now: Date): Promise<JobDocument[]> {
    const wanted = requests.filter((request) => request.limit > 0);
    const dueFilter = (name: string): Filter<JobDocument> => ({
      status: JobStatus.PENDING,
      name,
      nextRunAt: { $lte: now },
    });
    if (wanted.length === 1 && wanted[0]?.limit === 1) {
      const doc = await this.collection.findOneAndUpdate(
        dueFilter(wanted[0].name),
        this.claimUpdate(owner, randomUUID(), now),
        { sort: { nextRunAt: 1 }, returnDocument: 'after' },
      );
      return doc ? [doc] : [];
    }
    const found = await Promise.all(
      wanted.map((request) =>
        this.collection
          .find(dueFilter(request.name), { projection: { _id: 1 } })
          .sort({ nextRunAt: 1 })
          .limit(request.limit)
          .toArray(),
      ),
    );
    const ids = found.flat().map((doc) => doc._id);
    if (ids.length === 0) return [];
    if (ids.length === 1) {
      // One due job (the usual case of an idle scheduler woken by an enqueue): claim and read it in
      // one round trip instead of an update plus a read-back.
      const doc = await this.collection.findOneAndUpdate(
        { _id: ids[0], status: JobStatus.PENDING, nextRunAt: { $lte: now } },
        this.claimUpdate(owner, randomUUID(), now),
        { returnDocument: 'after' },
      );
      return doc ? [doc] : [];
    }
    const token = randomUUID();
    const result = await this.collection.updateMany(
      { _id: { $in: ids }, status: JobStatus.PENDING, nextRunAt: { $lte: now } },
      this.claimUpdate(owner, token, now),
    );
    if (result.modifiedCount === 0) return [];
    return this.collection
      .find({ _id: { $in: ids }, claimToken: token })
      .sort({ nextRunAt: 1 })
      .toArray();
  }

  private updateFor(transition: Transition, now: Date): UpdateFilter<JobDocument> {
    const set: Partial<JobDocument> = { status: transition.status, lockedAt: null, updatedAt: now };
    const unset: Record<string, ''> = { owner: '' };
    if (transition.nextRunAt) set.nextRunAt = transition.nextRunAt;
    if (transition.failCount !== undefined) set.failCount = transition.failCount;
    if (typeof transition.failReason === 'string') set.failReason = transition.failReason;
    if (transition.failReason === null) unset.failReason = '';
    if (transition.completedAt) set.completedAt = transition.completedAt;
    if (transition.clearClaim) set.claimToken = null;
    if (transition.status === JobStatus.COMPLETED || transition.status === JobStatus.FAILED) unset.activeKey = '';
    return { $set: set, $unset: unset };
  }

  private fenceFilter(outcome: JobOutcome): Filter<JobDocument> {
    return 'claimToken' in outcome.fence
      ? { _id: outcome.job._id, status: JobStatus.PROCESSING, claimToken: outcome.fence.claimToken }
      : { _id: outcome.job._id, status: JobStatus.PROCESSING, lockedAt: outcome.fence.lockedAt };
  }

  /**
   * Writes many outcomes, each fenced on the claim that ran it (or, for recoveries, on the lock
   * that was seen). Plain completions of one claim share one `updateMany`; the rest go in one
   * unordered `bulkWrite`. Returns the ids of the jobs whose write was fenced out.
   */
  async applyOutcomes(outcomes: readonly JobOutcome[], now: Date): Promise<ObjectId[]> {
    const plainCompletions = new Map<string, { token: string; ids: ObjectId[] }>();
    const individual: JobOutcome[] = [];
    for (const outcome of outcomes) {
      const simple =
        'claimToken' in outcome.fence &&
        outcome.transition.status === JobStatus.COMPLETED &&
        outcome.transition.failReason === undefined;
      if (simple && 'claimToken' in outcome.fence) {
        const key = outcome.fence.claimToken;
        const group = plainCompletions.get(key) ?? { token: outcome.fence.claimToken, ids: [] };
        group.ids.push(outcome.job._id);
        plainCompletions.set(key, group);
      } else {
        individual.push(outcome);
      }
    }
    const lost: ObjectId[] = [];
    const writes: Promise<void>[] = [];
    for (const { token, ids } of plainCompletions.values()) {
      writes.push(
        (async () => {
          const result = await this.collection.updateMany(
            { _id: { $in: ids }, status: JobStatus.PROCESSING, claimToken: token },
            this.updateFor({ status: JobStatus.COMPLETED, completedAt: now }, now),
          );
          if (result.modifiedCount < ids.length) lost.push(...(await this.notHeldBy(ids, token)));
        })(),
      );
    }
    if (individual.length > 0) {
      writes.push(
        (async () => {
          const result = await this.collection.bulkWrite(
            individual.map((outcome) => ({
              updateOne: { filter: this.fenceFilter(outcome), update: this.updateFor(outcome.transition, now) },
            })),
            { ordered: false },
          );
          if (result.modifiedCount < individual.length) lost.push(...(await this.lostIndividually(individual, now)));
        })(),
      );
    }
    await Promise.all(writes);
    return lost;
  }

  /** Of `ids`, those whose document no longer carries `token` (recovered, or claimed by another run). */
  private async notHeldBy(ids: ObjectId[], token: string): Promise<ObjectId[]> {
    const held = await this.collection
      .find({ _id: { $in: ids }, claimToken: token }, { projection: { _id: 1 } })
      .toArray();
    const heldIds = new Set(held.map((doc) => doc._id.toHexString()));
    return ids.filter((id) => !heldIds.has(id.toHexString()));
  }

  private async lostIndividually(outcomes: readonly JobOutcome[], now: Date): Promise<ObjectId[]> {
    const docs = await this.collection.find({ _id: { $in: outcomes.map((o) => o.job._id) } }).toArray();
    const byId = new Map(docs.map((doc) => [doc._id.toHexString(), doc]));
    return outcomes
      .filter((outcome) => {
        const doc = byId.get(outcome.job._id.toHexString());
        if (!doc) return true;
        if ('claimToken' in outcome.fence) return doc.claimToken !== outcome.fence.claimToken;
        return doc.updatedAt.getTime() !== now.getTime();
      })
      .map((outcome) => outcome.job._id);
  }

  /** Renews the locks of this instance's running jobs: one `updateMany` for all of them. */
  async renewLocks(owner: string, ids: readonly ObjectId[], now: Date): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.collection.updateMany(
      { _id: { $in: [...ids] }, owner, status: JobStatus.PROCESSING },
      { $set: { lockedAt: now } },
    );
    return result.matchedCount;
  }

  /** `processing` jobs whose lock is older than `lockTimeout` (index `monque_stale`). */
  findStale(now: Date, lockTimeout: number, limit = 500): Promise<JobDocument[]> {
    return this.collection
      .find({ status: JobStatus.PROCESSING, lockedAt: { $lt: new Date(now.getTime() - lockTimeout) } })
      .limit(limit)
      .toArray();
  }

  /** One job by id. */
  findById(id: ObjectId): Promise<JobDocument | null> {
    return this.collection.findOne({ _id: id });
  }

  /** Asks the server to answer (`ping`). */
  async ping(): Promise<void> {
    await this.collection.db.command({ ping: 1 });
  }

  /**
   * Opens a change stream that reports jobs becoming `pending` (inserted, retried, rescheduled,
   * recovered). A hint for waking pollers only; the caller must handle the stream's `error` event.
   */
  watchPending() {
    return this.collection.watch<JobDocument>(
      [
        {
          $match: {
            $or: [
              { operationType: 'insert', 'fullDocument.status': JobStatus.PENDING },
              { operationType: 'update', 'updateDescription.updatedFields.status': JobStatus.PENDING },
            ],
          },
        },
        { $project: { operationType: 1, 'fullDocument.name': 1, 'fullDocument.nextRunAt': 1, updateDescription: 1 } },
      ],
      {},
    );
  }
}
