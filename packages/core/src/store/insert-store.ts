/**
 * Inserting jobs: one at a time, or many in a couple of round trips, with unique keys resolved per
 * key (several items with one key get one job).
 *
 * A unique key is held by the document whose `activeKey` is set, and only `pending`/`processing`
 * jobs may hold it. A document found holding a key in another status (edited by hand) gives it up
 * here, so a new job can take it: keys never stick to finished jobs.
 */
import type { AnyBulkWriteOperation, ClientSession, Collection, ObjectId, OptionalId } from 'mongodb';
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

/** Inserts jobs into the jobs collection. */
export class InsertStore {
  constructor(private readonly collection: Collection<JobDocument>) {}

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
    return doc;
  }

  /**
   * Inserts one job (one `insert`), or for a unique key returns whichever active job holds it (one
   * `findAndModify` upsert; a lost duplicate-key race reads the winner).
   */
  async insertOne<T>(job: NewJob<T>, now: Date, session?: ClientSession): Promise<JobDocument<T>> {
    const doc = this.newDocument(job, now);
    if (doc.activeKey !== undefined) return this.upsertUnique(doc, session);
    const { insertedId } = await this.collection.insertOne(doc as JobDocument, { session });
    return { ...doc, _id: insertedId } as JobDocument<T>;
  }

  /**
   * Inserts many jobs: one unordered `insert` for those without a unique key; for those with one,
   * one unordered `update` batch of upserts (one per distinct key) and one `find` to read them
   * back. The two go in parallel, or one after the other inside a transaction (`session`).
   * Returns each item's job or error, in the order given.
   */
  async insertBatch<T>(jobs: readonly NewJob<T>[], now: Date, session?: ClientSession): Promise<InsertResult<T>[]> {
    const results: InsertResult<T>[] = new Array(jobs.length);
    const plain: { index: number; doc: OptionalId<JobDocument<T>> }[] = [];
    const keyed = new Map<string, { doc: OptionalId<JobDocument<T>>; indexes: number[] }>();
    jobs.forEach((job, index) => {
      const doc = this.newDocument(job, now);
      if (doc.activeKey === undefined) {
        plain.push({ index, doc });
        return;
      }
      const group = keyed.get(keyOf(doc));
      if (group) group.indexes.push(index);
      else keyed.set(keyOf(doc), { doc, indexes: [index] });
    });
    const writePlain = () => (plain.length > 0 ? this.insertPlain(plain, results, session) : undefined);
    const writeKeyed = () => (keyed.size > 0 ? this.insertKeyed([...keyed.values()], results, session) : undefined);
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
    items: { index: number; doc: OptionalId<JobDocument<T>> }[],
    results: InsertResult<T>[],
    session: ClientSession | undefined,
  ): Promise<void> {
    if (items.length === 1) {
      const { index, doc } = items[0] as (typeof items)[number];
      try {
        const { insertedId } = await this.collection.insertOne(doc as JobDocument, { session });
        results[index] = { doc: { ...doc, _id: insertedId } as JobDocument<T> };
      } catch (error) {
        results[index] = { error };
      }
      return;
    }
    let written: Record<number, ObjectId>;
    let failure: unknown;
    try {
      ({ insertedIds: written } = await this.collection.insertMany(
        items.map(({ doc }) => doc as JobDocument),
        { ordered: false, session },
      ));
    } catch (error) {
      failure = error;
      written = await this.writtenDespite(error, session);
    }
    items.forEach(({ index, doc }, position) => {
      const id = written[position];
      results[index] = id ? { doc: { ...doc, _id: id } as JobDocument<T> } : { error: failure };
    });
  }

  /**
   * Which items of a failed unordered `insertMany` were written, by position. With a write error
   * per refused item, every other item sent was written. Without one, the command failed as a
   * whole (a lost connection, a write concern error, a server that refuses the whole batch), and
   * the driver's `insertedIds` lists every id it sent, written or not: one `find` by `_id` reads
   * back what was; when that read fails too, no item is reported as written.
   */
  private async writtenDespite(error: unknown, session: ClientSession | undefined): Promise<Record<number, ObjectId>> {
    const sent = (error as { insertedIds?: Record<number, ObjectId> }).insertedIds ?? {};
    const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
    if (Array.isArray(writeErrors) && writeErrors.length > 0) {
      const refused = new Set(writeErrors.map((writeError: { index: number }) => writeError.index));
      return Object.fromEntries(Object.entries(sent).filter(([position]) => !refused.has(Number(position))));
    }
    const ids = Object.values(sent);
    if (ids.length === 0) return {};
    try {
      const found = await this.collection.find({ _id: { $in: ids } }, { session, projection: { _id: 1 } }).toArray();
      const present = new Set(found.map((doc) => doc._id.toHexString()));
      return Object.fromEntries(Object.entries(sent).filter(([, id]) => present.has(id.toHexString())));
    } catch {
      return {};
    }
  }

  private async insertKeyed<T>(
    groups: { doc: OptionalId<JobDocument<T>>; indexes: number[] }[],
    results: InsertResult<T>[],
    session: ClientSession | undefined,
  ): Promise<void> {
    const assign = (group: (typeof groups)[number], result: InsertResult<T>) => {
      for (const index of group.indexes) results[index] = result;
    };
    if (groups.length === 1) {
      const group = groups[0] as (typeof groups)[number];
      try {
        assign(group, { doc: await this.upsertUnique(group.doc, session) });
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
    let stored: JobDocument[];
    try {
      await this.collection.bulkWrite(operations, { ordered: false, session }).catch((error: unknown) => {
        // A key taken meanwhile by another enqueue is fine: the read-back finds its holder.
        const writeErrors = (error as { writeErrors?: { code?: number }[] }).writeErrors;
        const onlyDuplicates = Array.isArray(writeErrors) && writeErrors.every((e) => e.code === 11000);
        if (!isDuplicateKeyError(error) && !onlyDuplicates) throw error;
      });
      const keys = groups.map(({ doc }) => ({ name: doc.name, activeKey: doc.activeKey as string }));
      stored = await this.collection.find({ $or: keys }, { session }).toArray();
    } catch (error) {
      for (const group of groups) assign(group, { error });
      return;
    }
    const byKey = new Map(stored.map((doc) => [keyOf(doc), doc as JobDocument<T>]));
    for (const group of groups) {
      const holder = byKey.get(keyOf(group.doc));
      if (holder && isActive(holder)) {
        assign(group, { doc: holder });
        continue;
      }
      // Not written (a failed batch) or held by a finished job (a hand edit): resolve it alone.
      try {
        assign(group, { doc: await this.upsertUnique(group.doc, session) });
      } catch (error) {
        assign(group, { error });
      }
    }
  }

  /**
   * Returns the active job holding `doc`'s key, inserting `doc` when none does. A finished job
   * still holding the key (edited by hand) gives it up first.
   */
  private async upsertUnique<T>(doc: OptionalId<JobDocument<T>>, session?: ClientSession): Promise<JobDocument<T>> {
    const { name, activeKey, ...onInsert } = doc;
    const filter = { name, activeKey: activeKey as string };
    for (let attempt = 1; ; attempt += 1) {
      let holder: JobDocument | null;
      try {
        holder = await this.collection.findOneAndUpdate(
          filter,
          { $setOnInsert: onInsert as Partial<JobDocument> },
          { upsert: true, returnDocument: 'after', session },
        );
      } catch (error) {
        if (!isDuplicateKeyError(error) || attempt >= MAX_KEY_ATTEMPTS) throw error;
        holder = await this.collection.findOne(filter, { session });
      }
      if (holder && isActive(holder)) return holder as JobDocument<T>;
      if (attempt >= MAX_KEY_ATTEMPTS) {
        throw new Error(`could not take unique key '${doc.uniqueKey}' of '${name}' after ${attempt} attempts`);
      }
      if (holder) {
        await this.collection.updateOne(
          { _id: holder._id, activeKey: holder.activeKey as string, status: { $nin: [...ACTIVE_STATUSES] } },
          { $unset: unsetOf('activeKey') },
          { session },
        );
      }
    }
  }
}
