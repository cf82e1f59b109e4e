/**
 * Inserting jobs: one at a time, or many in a couple of round trips, with unique keys resolved per
 * key (several items with one key get one job).
 *
 * Every new job's `_id` is made before its write is sent. When a write fails in a way that leaves
 * its fate open (its reply was lost), the jobs are read back by `_id` (and key): those found are
 * returned as written; when that read fails too, each is reported with an `OutcomeUnknownError`
 * (the job may exist). A command that was never sent, or one inside the caller's transaction (the
 * transaction decides), is not read back.
 *
 * A call may pass the `AbortSignal` of its caller (outside a transaction): every command of the call
 * carries it, so once the caller gave up none is sent (the driver drops what it still holds), and a
 * read-back is not tried.
 *
 * A unique key is held by the document whose `activeKey` is set, and only `pending`/`processing`
 * jobs may hold it. A document found holding a key in another status (edited by hand) gives it up
 * here, so a new job can take it: keys never stick to finished jobs.
 */
import type { AnyBulkWriteOperation, ClientSession, Collection, Filter, ObjectId, OptionalId } from 'mongodb';
import { isTransientError, OutcomeUnknownError, wasNeverSent } from '../database-errors.js';
import type { BackoffOptions } from '../job.js';
import { JobStatus } from '../job.js';
import {
  ACTIVE_STATUSES,
  activeKeyOf,
  isDuplicateKeyError,
  type JobDocument,
  type TraceCarrier,
  unsetOf,
} from './job-document.js';
import { ObjectIds } from './object-ids.js';

/** What a new job is made of. */
export interface NewJob<T = unknown> {
  name: string;
  data: T;
  nextRunAt: Date;
  uniqueKey?: string;
  priority?: number;
  maxRetries?: number;
  backoff?: BackoffOptions;
  timeout?: number;
  group?: string;
  trace?: TraceCarrier;
  /** When the job was asked for (default: when it is written). */
  createdAt?: Date;
  /** More fields of the document, set as given (workflows: `_id`, `status`, `dependsOn` …). */
  fields?: Partial<JobDocument<T>>;
}

/** One item's outcome in a batch: its job, or the error that kept it out. */
export type InsertResult<T = unknown> = { doc: JobDocument<T> } | { error: unknown };

const MAX_KEY_ATTEMPTS = 5;

function isActive(doc: JobDocument): boolean {
  return ACTIVE_STATUSES.includes(doc.status);
}

function keyOf(doc: { name: string; activeKey?: string }): string {
  return `${doc.name}\0${doc.activeKey}`;
}

/** A new job's document with its `_id` made before it is sent. */
type Identified<T> = OptionalId<JobDocument<T>> & { _id: ObjectId };

/** What every command of one call is sent with. */
interface CallOptions {
  readonly session?: ClientSession;
  /**
   * Aborts when the caller gave up. The driver honours it on every operation (server selection,
   * connection checkout, the command itself), though its types declare it for reads alone.
   */
  readonly signal?: AbortSignal;
}

/** A command given an already aborted signal is refused by the driver when it would be sent. */
function callOptions(session: ClientSession | undefined, signal: AbortSignal | undefined): CallOptions {
  return signal === undefined ? { session } : { session, signal };
}

/** Inserts jobs into the jobs collection. */
export class InsertStore {
  private readonly ids: ObjectIds;

  constructor(private readonly collection: Collection<JobDocument>) {
    this.ids = new ObjectIds(collection.db);
  }

  /** The document of a new `pending` job. */
  newDocument<T>(job: NewJob<T>, now: Date): OptionalId<JobDocument<T>> {
    const doc: OptionalId<JobDocument<T>> = {
      name: job.name,
      data: job.data,
      status: JobStatus.PENDING,
      nextRunAt: job.nextRunAt,
      priority: job.priority ?? 0,
      lockedAt: null,
      failCount: 0,
      attempts: 0,
      createdAt: job.createdAt ?? now,
      updatedAt: job.createdAt ?? now,
    };
    if (job.maxRetries !== undefined) doc.maxRetries = job.maxRetries;
    if (job.backoff !== undefined) doc.backoff = job.backoff;
    if (job.timeout !== undefined) doc.timeout = job.timeout;
    if (job.group !== undefined) doc.group = job.group;
    if (job.trace !== undefined) doc.trace = job.trace;
    if (job.uniqueKey !== undefined) {
      doc.uniqueKey = job.uniqueKey;
      doc.activeKey = activeKeyOf('u', job.uniqueKey);
    }
    if (job.fields !== undefined) Object.assign(doc, job.fields);
    return doc;
  }

  /** {@link InsertStore.newDocument} with its `_id`. */
  private identified<T>(job: NewJob<T>, now: Date): Identified<T> {
    return { _id: this.ids.create(), ...this.newDocument(job, now) };
  }

  /**
   * Inserts one job (one `insert`), or for a unique key returns whichever active job holds it (one
   * `findAndModify` upsert; a lost duplicate-key race reads the winner). A failed insert whose job
   * is found by its `_id` afterwards (a lost reply) returns the job.
   * @throws OutcomeUnknownError when the reply was lost and reading the job back failed too
   */
  async insertOne<T>(
    job: NewJob<T>,
    now: Date,
    session?: ClientSession,
    signal?: AbortSignal,
  ): Promise<JobDocument<T>> {
    const doc = this.identified(job, now);
    if (doc.activeKey !== undefined) return this.upsertUnique(doc, session, signal);
    await this.insertLone(doc, session, signal);
    return doc as JobDocument<T>;
  }

  /** One `insert` of `doc`; a failure is answered by reading it back (see the class comment). */
  private async insertLone<T>(
    doc: Identified<T>,
    session: ClientSession | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    try {
      await this.collection.insertOne(doc as JobDocument, callOptions(session, signal));
    } catch (error) {
      const [found] = await this.readBack(error, { _id: doc._id }, session, signal);
      if (!found) throw error;
    }
  }

  /**
   * After a write failed with `error`: the jobs matching `filter` (none when the command was never
   * sent, or inside a transaction).
   * @throws OutcomeUnknownError when the read fails too: what the write did is unknown
   */
  private async readBack(
    error: unknown,
    filter: Filter<JobDocument>,
    session: ClientSession | undefined,
    signal: AbortSignal | undefined,
  ): Promise<JobDocument[]> {
    if (session || wasNeverSent(error)) return [];
    try {
      return await this.collection.find(filter, callOptions(undefined, signal)).toArray();
    } catch {
      throw new OutcomeUnknownError('the reply was lost and reading the job back failed (it may exist)', error);
    }
  }

  /**
   * Inserts many jobs: one unordered `insert` for those without a unique key; for those with one,
   * one unordered `update` batch of upserts (one per distinct key) and one `find` to read them
   * back. The two go in parallel, or one after the other inside a transaction (`session`).
   * Returns each item's job or error, in the order given.
   */
  async insertBatch<T>(
    jobs: readonly NewJob<T>[],
    now: Date,
    session?: ClientSession,
    signal?: AbortSignal,
  ): Promise<InsertResult<T>[]> {
    const results: InsertResult<T>[] = new Array(jobs.length);
    const plain: { index: number; doc: Identified<T> }[] = [];
    const keyed = new Map<string, { doc: Identified<T>; indexes: number[] }>();
    jobs.forEach((job, index) => {
      const doc = this.identified(job, now);
      if (doc.activeKey === undefined) {
        plain.push({ index, doc });
        return;
      }
      const group = keyed.get(keyOf(doc));
      if (group) group.indexes.push(index);
      else keyed.set(keyOf(doc), { doc, indexes: [index] });
    });
    const writePlain = () => (plain.length > 0 ? this.insertPlain(plain, results, session, signal) : undefined);
    const writeKeyed = () =>
      keyed.size > 0 ? this.insertKeyed([...keyed.values()], results, session, signal) : undefined;
    if (session) {
      // One transaction's commands must go one at a time: the first one starts it on the server,
      // and a concurrent second one could arrive first (NoSuchTransaction).
      await writePlain();
      await writeKeyed();
    } else {
      await Promise.all([writePlain(), writeKeyed()]);
    }
    return results;
  }

  private async insertPlain<T>(
    items: { index: number; doc: Identified<T> }[],
    results: InsertResult<T>[],
    session: ClientSession | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (items.length === 1) {
      const { index, doc } = items[0] as (typeof items)[number];
      try {
        await this.insertLone(doc, session, signal);
        results[index] = { doc: doc as JobDocument<T> };
      } catch (error) {
        results[index] = { error };
      }
      return;
    }
    try {
      await this.collection.insertMany(
        items.map(({ doc }) => doc as JobDocument),
        { ordered: false, ...callOptions(session, signal) },
      );
      for (const { index, doc } of items) results[index] = { doc: doc as JobDocument<T> };
    } catch (error) {
      const written = await this.writtenDespite(error, items, session, signal);
      for (const { index, doc } of items) {
        const outcome = written(doc._id);
        results[index] = outcome === true ? { doc: doc as JobDocument<T> } : { error: outcome };
      }
    }
  }

  /**
   * Which items of a failed unordered `insertMany` were written: `true`, or the error to report.
   * With a write error per refused item and nothing else wrong, every other item was written.
   * Otherwise the command failed as a whole, or in part (a lost connection, a write concern error,
   * a server that refuses the whole batch, a later batch of a large insert): one `find` by `_id`
   * reads back what was written; when that read fails too, the others may have been written.
   */
  private async writtenDespite<T>(
    error: unknown,
    items: { doc: Identified<T> }[],
    session: ClientSession | undefined,
    signal: AbortSignal | undefined,
  ): Promise<(id: ObjectId) => true | unknown> {
    const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
    if (Array.isArray(writeErrors) && writeErrors.length > 0 && !isTransientError(error)) {
      const refused = new Set(
        writeErrors.map((writeError: { index: number }) => items[writeError.index]?.doc._id.toHexString()),
      );
      return (id) => (refused.has(id.toHexString()) ? error : true);
    }
    let found: JobDocument[];
    try {
      found = await this.readBack(error, { _id: { $in: items.map(({ doc }) => doc._id) } }, session, signal);
    } catch (unknown) {
      return () => unknown;
    }
    const present = new Set(found.map((doc) => doc._id.toHexString()));
    return (id) => (present.has(id.toHexString()) ? true : error);
  }

  private async insertKeyed<T>(
    groups: { doc: Identified<T>; indexes: number[] }[],
    results: InsertResult<T>[],
    session: ClientSession | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const assign = (group: (typeof groups)[number], result: InsertResult<T>) => {
      for (const index of group.indexes) results[index] = result;
    };
    if (groups.length === 1) {
      const group = groups[0] as (typeof groups)[number];
      try {
        assign(group, { doc: await this.upsertUnique(group.doc, session, signal) });
      } catch (error) {
        assign(group, { error });
      }
      return;
    }
    const operations: AnyBulkWriteOperation<JobDocument>[] = groups.map(({ doc }) => {
      const { name, activeKey, ...onInsert } = doc;
      return {
        updateOne: {
          filter: { name, activeKey: activeKey as string },
          update: { $setOnInsert: onInsert as Partial<JobDocument> },
          upsert: true,
        },
      };
    });
    const keys = groups.map(({ doc }) => ({ name: doc.name, activeKey: doc.activeKey as string }));
    let stored: JobDocument[];
    let failure: unknown;
    try {
      await this.collection
        .bulkWrite(operations, { ordered: false, ...callOptions(session, signal) })
        .catch((error: unknown) => {
          // A key taken meanwhile by another enqueue is fine: the read-back finds its holder.
          const writeErrors = (error as { writeErrors?: { code?: number }[] }).writeErrors;
          const onlyDuplicates =
            Array.isArray(writeErrors) && writeErrors.length > 0 && writeErrors.every((e) => e.code === 11000);
          if (!isDuplicateKeyError(error) && !onlyDuplicates) throw error;
        });
      stored = await this.collection.find({ $or: keys }, callOptions(session, signal)).toArray();
    } catch (error) {
      // The upserts (or the read after them) failed: which keys are held now, as far as can be read.
      failure = error;
      try {
        stored = await this.readBack(error, { $or: keys }, session, signal);
      } catch (unknown) {
        for (const group of groups) assign(group, { error: unknown });
        return;
      }
    }
    const byKey = new Map(stored.map((doc) => [keyOf(doc), doc as JobDocument<T>]));
    for (const group of groups) {
      const holder = byKey.get(keyOf(group.doc));
      if (holder && isActive(holder)) {
        assign(group, { doc: holder });
        continue;
      }
      if (failure !== undefined) {
        assign(group, { error: failure });
        continue;
      }
      // Held by a finished job (a hand edit), or the key was given up meanwhile: resolve it alone.
      try {
        assign(group, { doc: await this.upsertUnique(group.doc, session, signal) });
      } catch (error) {
        assign(group, { error });
      }
    }
  }

  /**
   * Returns the active job holding `doc`'s key, inserting `doc` when none does. A finished job
   * still holding the key (edited by hand) gives it up first. A failed upsert is answered by reading
   * back the key's holder (or `doc` by its `_id`).
   */
  private async upsertUnique<T>(
    doc: Identified<T>,
    session: ClientSession | undefined,
    signal: AbortSignal | undefined,
  ): Promise<JobDocument<T>> {
    const { name, activeKey, ...onInsert } = doc;
    const filter = { name, activeKey: activeKey as string };
    for (let attempt = 1; ; attempt += 1) {
      let holder: JobDocument | null;
      try {
        holder = await this.collection.findOneAndUpdate(
          filter,
          { $setOnInsert: onInsert as Partial<JobDocument> },
          { upsert: true, returnDocument: 'after', ...callOptions(session, signal) },
        );
      } catch (error) {
        if (!isDuplicateKeyError(error)) return this.keyHolderAfter(error, doc, session, signal);
        if (attempt >= MAX_KEY_ATTEMPTS) throw error;
        holder = await this.collection.findOne(filter, callOptions(session, signal));
      }
      if (holder && isActive(holder)) return holder as JobDocument<T>;
      if (attempt >= MAX_KEY_ATTEMPTS) {
        throw new Error(`could not take unique key '${doc.uniqueKey}' of '${name}' after ${attempt} attempts`);
      }
      if (holder) {
        await this.collection.updateOne(
          { _id: holder._id, activeKey: holder.activeKey as string, status: { $nin: [...ACTIVE_STATUSES] } },
          { $unset: unsetOf('activeKey') },
          callOptions(session, signal),
        );
      }
    }
  }

  /** After a failed upsert of `doc`: the active holder of its key, else `doc` if it was written; else `error`. */
  private async keyHolderAfter<T>(
    error: unknown,
    doc: Identified<T>,
    session: ClientSession | undefined,
    signal: AbortSignal | undefined,
  ): Promise<JobDocument<T>> {
    const found = await this.readBack(
      error,
      { $or: [{ _id: doc._id }, { name: doc.name, activeKey: doc.activeKey as string }] },
      session,
      signal,
    );
    const holder = found.find(isActive) ?? found.find((stored) => stored._id.equals(doc._id));
    if (!holder) throw error;
    return holder as JobDocument<T>;
  }
}
