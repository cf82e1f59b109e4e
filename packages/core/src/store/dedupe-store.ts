/**
 * Enqueues that deduplicate against the job holding a unique key: `onDuplicate: 'keep'` (the holder
 * is returned unchanged), `onDuplicate: 'replace'` and `debounce` (a `pending` holder gets the
 * call's data and due time; a `processing` one keeps running and the call's job is queued behind it).
 *
 * The key is held by the job whose `activeKey` is `u:<uniqueKey>` (unique per name). A job queued
 * behind a running one takes the key: the running job gives it up first (its `activeKey` is
 * removed). So the queued job is the one later enqueues see and replace (at most one is ever
 * queued), and the running job finishes as any job does; should it go back to `pending` (a failure
 * retried, a stale recovery, a shutdown) it runs again on its own, beside the queued one.
 *
 * A call is a short loop of single-document writes, each guarded on what it expects (the holder's
 * `_id`, status and key), so concurrent calls on any number of instances end as some serial order:
 * - outside a transaction it starts with one `findAndModify` upsert that matches a `pending` holder
 *   (for `debounce` with `maxWait`: one whose cap is not reached) or inserts the call's job: the
 *   usual case costs one command;
 * - when that hits the unique index (the holder is `processing`, at its cap, or was inserted
 *   meanwhile) the holder is read and acted on: `pending` → a write guarded on its `_id` and status;
 *   `processing` → it gives the key up, then the call's job is inserted; none → insert;
 * - inside a transaction (`session`) the read comes first: a duplicate-key error would abort it.
 *
 * The call's job has its `_id` chosen before sending, and every write of the call stamps its
 * `enqueueToken`: after a lost reply, the read that follows recognises the call's own write. A call
 * that gives up (a third transient error, or another error) says whether one of its writes may have
 * been applied (its {@link WriteLedger}).
 * Index: `monque_unique_active_key`.
 */
import type { ClientSession, Collection, Filter, ObjectId, UpdateFilter } from 'mongodb';
import { isTransientError } from '../database-errors.js';
import { JobStatus } from '../job.js';
import type { DedupeMode } from '../validation/dedupe-options.js';
import type { InsertStore, NewJob } from './insert-store.js';
import { ACTIVE_STATUSES, isDuplicateKeyError, type JobDocument, unsetOf } from './job-document.js';
import { foundOne, modifiedAny, type WriteLedger } from './write-ledger.js';

/** What a deduplicating enqueue did. */
export type DedupeOutcome = 'created' | 'kept' | 'replaced' | 'debounced' | 'throttled';

/** One deduplicating enqueue: the job it asks for and how it deduplicates. */
export interface DedupeCall<T = unknown> {
  /** The job asked for; `uniqueKey` is set. */
  job: NewJob<T>;
  mode: DedupeMode;
  /** The call's time: `createdAt`/`updatedAt` of what it writes, the base of a debounce. */
  now: Date;
  /** The `_id` of the job, should the call create one. */
  id: ObjectId;
  /** Stamped as `enqueueToken` on what the call writes. */
  token: string;
  /** Every write of the call goes through it: what a call that gives up may have written. */
  ledger: WriteLedger;
}

/** The job that stands for a call, and what the call did. */
export interface DedupeResult<T = unknown> {
  doc: JobDocument<T>;
  outcome: DedupeOutcome;
}

/** Most rounds of one call (each round reads or writes once or twice). */
const MAX_ROUNDS = 6;
/** Transient errors (lost replies) one call survives: each is followed by a read of the key. */
const MAX_TRANSIENT_ERRORS = 2;

/** The fields a replace or debounce gives the holder, besides `nextRunAt`. */
const REPLACED_OPTIONAL = ['maxRetries', 'backoff', 'timeout', 'group', 'trace'] as const;

/** A call prepared: its key, the job it would insert, and the change it makes to a pending holder. */
interface Plan<T> {
  call: DedupeCall<T>;
  key: { name: string; activeKey: string };
  fresh: JobDocument<T>;
  /** When the call's job (or the replaced one) becomes due before any `maxWait` cap. */
  target: Date;
  update: UpdateFilter<JobDocument>;
  /** The outcome of changing a pending holder. */
  changed: DedupeOutcome;
}

function isActive(doc: JobDocument): boolean {
  return ACTIVE_STATUSES.includes(doc.status);
}

/** The debounce cap of `holder`, or `undefined` without `maxWait`. */
function capOf(mode: DedupeMode, holder: Pick<JobDocument, 'createdAt'>): Date | undefined {
  return mode.kind === 'debounce' && mode.maxWait !== undefined
    ? new Date(holder.createdAt.getTime() + mode.maxWait)
    : undefined;
}

/** Writes deduplicating enqueues (keep, replace, debounce) to the jobs collection. */
export class DedupeStore {
  constructor(
    private readonly collection: Collection<JobDocument>,
    private readonly inserts: InsertStore,
  ) {}

  /**
   * Carries out `call` (mode `keep`, `replace` or `debounce`): see the module comment. Outside a
   * transaction a lost reply is followed by a read of the key, which recognises the call's own
   * write; inside one every error reaches the caller (the transaction is aborted).
   * @returns the job that stands for the call and what the call did
   * @throws OutcomeUnknownError when it gives up (outside a transaction) after one of its writes
   *   may have been applied ({@link WriteLedger})
   */
  async write<T>(call: DedupeCall<T>, session?: ClientSession): Promise<DedupeResult<T>> {
    try {
      return await this.rounds(this.plan(call), session);
    } catch (error) {
      // Inside a transaction, the transaction decides what is written.
      throw session ? error : call.ledger.failure(error);
    }
  }

  /** The rounds of a call, until one decides it; the error that ends them is passed on as it is. */
  private async rounds<T>(plan: Plan<T>, session?: ClientSession): Promise<DedupeResult<T>> {
    let transientErrors = 0;
    let lastError: unknown;
    for (let round = 1; round <= MAX_ROUNDS; round += 1) {
      try {
        const result = round === 1 && !session ? await this.upsertFirst(plan) : await this.readThenWrite(plan, session);
        if (result) return result;
        lastError = undefined;
      } catch (error) {
        if (session) throw error;
        if (isTransientError(error)) transientErrors += 1;
        else if (!isDuplicateKeyError(error)) throw error;
        if (transientErrors > MAX_TRANSIENT_ERRORS) throw error;
        lastError = error;
      }
    }
    // A duplicate-key error up to the last round is not about this key (a unique index of the user's own).
    const { job } = plan.call;
    throw lastError ?? new Error(`could not take unique key '${job.uniqueKey}' of '${job.name}'`);
  }

  private plan<T>(call: DedupeCall<T>): Plan<T> {
    const { job, mode, now, id, token } = call;
    const target = mode.kind === 'debounce' ? new Date(now.getTime() + mode.ms) : job.nextRunAt;
    const fresh = { ...this.inserts.newDocument({ ...job, nextRunAt: target }, now), _id: id } as JobDocument<T>;
    if (mode.kind !== 'keep') fresh.enqueueToken = token;
    const set: Partial<JobDocument> = {
      data: job.data,
      priority: job.priority ?? 0,
      updatedAt: now,
      enqueueToken: token,
    };
    const unset: (keyof JobDocument)[] = [];
    for (const field of REPLACED_OPTIONAL) {
      if (job[field] === undefined) unset.push(field);
      else Object.assign(set, { [field]: job[field] });
    }
    const update: UpdateFilter<JobDocument> = { $set: set };
    if (unset.length > 0) update.$unset = unsetOf(...unset);
    return {
      call,
      key: { name: job.name, activeKey: fresh.activeKey as string },
      fresh,
      target,
      update,
      changed: mode.kind === 'debounce' ? 'debounced' : 'replaced',
    };
  }

  /**
   * The first round outside a transaction: one upsert. `keep` inserts the call's job unless a job
   * holds the key; `replace`/`debounce` change a `pending` holder (not yet at its cap) or insert.
   * @returns `undefined` when another round must decide (a finished job still holds the key)
   */
  private async upsertFirst<T>(plan: Plan<T>): Promise<DedupeResult<T> | undefined> {
    const { call, key, fresh } = plan;
    const { name: _name, activeKey: _activeKey, ...onInsert } = fresh;
    if (call.mode.kind === 'keep') {
      const holder = await call.ledger.write(() =>
        this.collection.findOneAndUpdate(
          key,
          { $setOnInsert: onInsert as Partial<JobDocument> },
          { upsert: true, returnDocument: 'after' },
        ),
      );
      if (!holder || !isActive(holder)) return undefined;
      return { doc: holder as JobDocument<T>, outcome: holder._id.equals(call.id) ? 'created' : 'kept' };
    }
    const filter: Filter<JobDocument> = { ...key, status: JobStatus.PENDING };
    if (call.mode.kind === 'debounce' && call.mode.maxWait !== undefined) {
      // Only a holder whose cap is not before the new due time: createdAt + maxWait >= target.
      filter.createdAt = { $gte: new Date(plan.target.getTime() - call.mode.maxWait) };
    }
    const changedFields = new Set([...Object.keys(plan.update.$set ?? {}), ...Object.keys(plan.update.$unset ?? {})]);
    const insertOnly = Object.fromEntries(
      Object.entries(onInsert).filter(
        ([field]) => !changedFields.has(field) && field !== 'status' && field !== 'nextRunAt',
      ),
    );
    const doc = await call.ledger.write(() =>
      this.collection.findOneAndUpdate(
        filter,
        { ...plan.update, $set: { ...plan.update.$set, nextRunAt: plan.target }, $setOnInsert: insertOnly },
        { upsert: true, returnDocument: 'after' },
      ),
    );
    if (!doc) return undefined;
    return { doc: doc as JobDocument<T>, outcome: doc._id.equals(call.id) ? 'created' : plan.changed };
  }

  /**
   * A round that reads the key's holder first, then acts on it with one guarded write (two when a
   * running holder gives the key up to the call's job).
   * @returns `undefined` when the holder changed meanwhile and another round must decide
   */
  private async readThenWrite<T>(plan: Plan<T>, session?: ClientSession): Promise<DedupeResult<T> | undefined> {
    const { call, key } = plan;
    const holder = await this.collection.findOne(key, { session });
    if (!holder) return this.insertFresh(plan, session);
    if (holder._id.equals(call.id)) return { doc: holder as JobDocument<T>, outcome: 'created' };
    if (!isActive(holder)) {
      // A finished job still holding the key (edited by hand) gives it up.
      await call.ledger.write(() =>
        this.collection.updateOne(
          { _id: holder._id, activeKey: key.activeKey, status: { $nin: [...ACTIVE_STATUSES] } },
          { $unset: unsetOf('activeKey') },
          { session },
        ),
      );
      return undefined;
    }
    if (call.mode.kind === 'keep') return { doc: holder as JobDocument<T>, outcome: 'kept' };
    if (holder.enqueueToken === call.token) return { doc: holder as JobDocument<T>, outcome: plan.changed };
    // A waiting holder (it has dependencies) is replaced or debounced as a pending one is: it keeps
    // waiting for them, and runs at the new due time at the earliest.
    if (holder.status === JobStatus.PENDING || holder.status === JobStatus.WAITING) {
      const cap = capOf(call.mode, holder);
      const nextRunAt = cap && cap < plan.target ? cap : plan.target;
      const doc = await call.ledger.write(
        () =>
          this.collection.findOneAndUpdate(
            { _id: holder._id, activeKey: key.activeKey, status: holder.status },
            { ...plan.update, $set: { ...plan.update.$set, nextRunAt } },
            { returnDocument: 'after', session },
          ),
        foundOne,
      );
      return doc ? { doc: doc as JobDocument<T>, outcome: plan.changed } : undefined;
    }
    // Running: it keeps running and gives the key up to the call's job, queued behind it.
    const demoted = await call.ledger.write(
      () =>
        this.collection.updateOne(
          { _id: holder._id, activeKey: key.activeKey, status: JobStatus.PROCESSING },
          { $unset: unsetOf('activeKey') },
          { session },
        ),
      modifiedAny,
    );
    return demoted.modifiedCount === 1 ? this.insertFresh(plan, session) : undefined;
  }

  /** Inserts the call's job (a duplicate-key error means another job took the key meanwhile). */
  private async insertFresh<T>(plan: Plan<T>, session?: ClientSession): Promise<DedupeResult<T>> {
    await plan.call.ledger.write(() => this.collection.insertOne(plan.fresh as JobDocument, { session }));
    return { doc: plan.fresh, outcome: 'created' };
  }
}
