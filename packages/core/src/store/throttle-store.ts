/**
 * Throttled enqueues (`throttle: ms` with `uniqueKey`): at most one job per name and key is created
 * per `ms`, counted from the creation of the last one whatever became of it.
 *
 * That memory must outlive the job (it may finish and be deleted by retention or `deleteJob` within
 * the window), so it is kept in a small window document per name and key, in the collection
 * `<collectionName>_throttle`: `_id` `'["<name>","<key>"]'` (read and written by `_id` only), when
 * the window opened (`at`), the job created then as it was created (`job`, with its `_id`), whether
 * that job is known to be inserted (`inserted`), and when the window closes (`expireAt`: the TTL
 * index `monque_throttle_expiry` and the retention sweep delete closed windows).
 *
 * A call reads the window. Open (`at + ms > now`): the call returns the window's job as it is now
 * (2 commands). Closed or absent: the call opens a new one, guarded on the window it read (a
 * compare-and-swap on the `_id` of the window's job, fresh for each window, or an insert that only
 * one caller wins), inserts its job under the `_id` chosen beforehand, held (due when the window
 * closes, {@link throttleHeldUntil}, so no instance claims it within the window), marks the window
 * inserted, then lets the job be due at its own time (5 commands).
 *
 * Faults: a caller that opened a window and then died (or lost its connection) before inserting
 * the job leaves a window whose job is not marked inserted; the next call in the window inserts it
 * from the window (an insert by `_id`, so only one copy can ever exist), so no call returns a job
 * that never runs. A job marked inserted and gone since is not brought back: the call returns it as
 * it was created. The window cannot tell "never inserted" from "inserted, then deleted" by looking
 * at the jobs, so a job cannot run (nor finish, nor be deleted by retention) within its window
 * before the window says it was inserted: it is held until then, and whoever marks the window (its
 * creator, or the next call, which finds it held) lets it go. Should nobody mark it (its creator
 * died between the insert and the mark, and no call came in the window), the hold ends by itself
 * when the window closes: from then on no call reads that window for its job (a call opens the
 * next window), so the job may run, finish and be deleted unknown to its window, and nothing waits
 * on the window document, which the TTL index or the retention sweep may delete. A job the window
 * does not know about can only have been deleted while held (`deleteJob` of a job whose creator
 * died between its insert and the mark): it never ran, and the next call in the window inserts it
 * again. A held job deleted after the mark is the window's job deleted within its window, like
 * any other: the calls return it as it was created. After a lost reply the read that follows
 * recognises the call's own window by its job's `_id`; a call that gives up says whether one of
 * its writes may have been applied (its {@link WriteLedger}): a window it opened counts, since the
 * next call inserts the window's job. Inside a transaction (`session`) the window and the job are
 * written in it, together.
 */
import type { ClientSession, Collection, Db } from 'mongodb';
import { isTransientError } from '../database-errors.js';
import type { DedupeCall, DedupeResult } from './dedupe-store.js';
import type { InsertStore } from './insert-store.js';
import { isDuplicateKeyError, type JobDocument } from './job-document.js';
import { modifiedAny, type WriteLedger } from './write-ledger.js';

/** Suffix of the collection holding the throttle windows. */
export const THROTTLE_COLLECTION_SUFFIX = '_throttle';

/** The throttle window of one name and key. */
export interface ThrottleWindow {
  /** `JSON.stringify([name, uniqueKey])`. */
  _id: string;
  name: string;
  uniqueKey: string;
  /** When the window opened: the creation of its job. */
  at: Date;
  /** When the window closes (`at + throttle`). */
  expireAt: Date;
  /** The window's job as it was created. */
  job: JobDocument;
  /** Whether the job is known to be inserted. */
  inserted: boolean;
}

/** Name of the TTL index that deletes closed windows (where the server runs TTL; the retention sweep does too). */
export const THROTTLE_EXPIRY_INDEX = 'monque_throttle_expiry';

/**
 * When a throttled job inserted before its window says so becomes due by itself: when its window
 * closes (`expireAt`), or at its own due time if that is later. No instance claims it before; the
 * window is marked and the job let go (due at its own time) by its creator or the next call in the
 * window, and should none come (the creator died, or lost its connection, between the insert and
 * the mark) the job runs once its window closed, when no call can return it as missing any more.
 */
export function throttleHeldUntil(window: Pick<ThrottleWindow, 'expireAt' | 'job'>): Date {
  const own = window.job.nextRunAt;
  return own && own.getTime() > window.expireAt.getTime() ? own : window.expireAt;
}

/** Most rounds of one call. */
const MAX_ROUNDS = 6;
/** Transient errors (lost replies) one call survives: each is followed by a read of the window. */
const MAX_TRANSIENT_ERRORS = 2;

/** Whether `doc`, the job of `window`, is held: not let go yet, and due later than its own time. */
function isHeld(doc: JobDocument, window: ThrottleWindow): boolean {
  const held = throttleHeldUntil(window).getTime();
  return doc.nextRunAt?.getTime() === held && window.job.nextRunAt?.getTime() !== held;
}

/** The collection of throttle windows beside the jobs collection `jobsCollectionName`. */
export function throttleWindows(db: Db, jobsCollectionName: string): Collection<ThrottleWindow> {
  return db.collection<ThrottleWindow>(`${jobsCollectionName}${THROTTLE_COLLECTION_SUFFIX}`);
}

/** Writes throttled enqueues: the window documents and the jobs they stand for. */
export class ThrottleStore {
  /**
   * @param windows - the throttle windows ({@link throttleWindows})
   * @param jobs - the jobs collection
   */
  constructor(
    private readonly windows: Collection<ThrottleWindow>,
    private readonly jobs: Collection<JobDocument>,
    private readonly inserts: InsertStore,
  ) {}

  private expiryIndex: Promise<void> | undefined;

  /**
   * Creates the windows' TTL index once per instance, after its first window outside a
   * transaction, in the background (a failure is tried again after the next window).
   */
  private ensureExpiryIndex(): void {
    this.expiryIndex ??= this.windows
      .createIndex({ expireAt: 1 }, { name: THROTTLE_EXPIRY_INDEX, expireAfterSeconds: 0 })
      .then(
        () => undefined,
        () => {
          this.expiryIndex = undefined;
        },
      );
  }

  /**
   * Carries out a throttled `call` (mode `throttle` of `ms`): see the module comment.
   * @returns the job that stands for the call, `'created'` or `'throttled'`
   * @throws OutcomeUnknownError when it gives up (outside a transaction) after one of its writes
   *   may have been applied
   */
  async write<T>(call: DedupeCall<T>, ms: number, session?: ClientSession): Promise<DedupeResult<T>> {
    try {
      return await this.rounds(call, ms, session);
    } catch (error) {
      // Inside a transaction, the transaction decides what is written.
      throw session ? error : call.ledger.failure(error);
    }
  }

  /** The rounds of a call, until one decides it; the error that ends them is passed on as it is. */
  private async rounds<T>(call: DedupeCall<T>, ms: number, session?: ClientSession): Promise<DedupeResult<T>> {
    const { job, now, id, ledger } = call;
    const uniqueKey = job.uniqueKey as string;
    const _id = JSON.stringify([job.name, uniqueKey]);
    // The job holds no active key: a throttle limits creations, not how many jobs are active.
    const { activeKey: _activeKey, ...created } = { ...this.inserts.newDocument(job, now), _id: id };
    const opened: ThrottleWindow = {
      _id,
      name: job.name,
      uniqueKey,
      at: now,
      expireAt: new Date(now.getTime() + ms),
      job: created as JobDocument,
      inserted: false,
    };
    let transientErrors = 0;
    let lastError: unknown;
    for (let round = 1; round <= MAX_ROUNDS; round += 1) {
      try {
        const window = await this.windows.findOne({ _id }, { session });
        if (window && window.at.getTime() + ms > now.getTime()) {
          if (window.job._id.equals(id))
            return { doc: await this.ensureInserted<T>(window, ledger, session), outcome: 'created' };
          return { doc: await this.jobOf<T>(window, ledger, session), outcome: 'throttled' };
        }
        if (window) {
          const swapped = await ledger.write(
            () =>
              this.windows.updateOne(
                { _id, 'job._id': window.job._id },
                { $set: { at: opened.at, expireAt: opened.expireAt, job: opened.job, inserted: false } },
                { session },
              ),
            modifiedAny,
          );
          if (swapped.modifiedCount === 0) {
            lastError = undefined;
            continue;
          }
        } else {
          await ledger.write(() => this.windows.insertOne(opened, { session }));
        }
        const doc = await this.ensureInserted<T>(opened, ledger, session);
        if (!session) this.ensureExpiryIndex();
        return { doc, outcome: 'created' };
      } catch (error) {
        if (session) throw error;
        if (isTransientError(error)) transientErrors += 1;
        else if (!isDuplicateKeyError(error)) throw error;
        if (transientErrors > MAX_TRANSIENT_ERRORS) throw error;
        lastError = error;
      }
    }
    throw lastError ?? new Error(`could not open the throttle window of '${job.name}' / '${uniqueKey}'`);
  }

  /** The window's job as it is now; inserted from the window when its creator did not get to it. */
  private async jobOf<T>(
    window: ThrottleWindow,
    ledger: WriteLedger,
    session?: ClientSession,
  ): Promise<JobDocument<T>> {
    const doc = await this.jobs.findOne({ _id: window.job._id }, { session });
    if (doc) {
      // Its creator inserted it but has not said so (it may have died): say so, so that a deletion
      // of the job later in the window never brings it back, then let it go.
      if (!window.inserted) await this.markInserted(window, ledger, session);
      if (!isHeld(doc, window)) return doc as JobDocument<T>;
      await this.release(window, ledger, session);
      return { ...doc, nextRunAt: window.job.nextRunAt } as JobDocument<T>;
    }
    // Deleted since (retention, deleteJob): as it was created. Never inserted: insert it now.
    return window.inserted ? (window.job as JobDocument<T>) : this.ensureInserted<T>(window, ledger, session);
  }

  /**
   * Inserts the window's job, held, unless it exists (by `_id`: one copy at most, whoever inserts
   * it), marks it inserted, then lets it go. @returns the job as it is now
   */
  private async ensureInserted<T>(
    window: ThrottleWindow,
    ledger: WriteLedger,
    session?: ClientSession,
  ): Promise<JobDocument<T>> {
    let doc: JobDocument | null = window.job;
    try {
      await ledger.write(() =>
        this.jobs.insertOne({ ...window.job, nextRunAt: throttleHeldUntil(window) }, { session }),
      );
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // Inserted by another caller meanwhile, or refused by a unique index of the user's own.
      doc = await this.jobs.findOne({ _id: window.job._id });
      if (!doc) throw error;
    }
    await this.markInserted(window, ledger, session);
    await this.release(window, ledger, session);
    return (isHeld(doc, window) ? { ...doc, nextRunAt: window.job.nextRunAt } : doc) as JobDocument<T>;
  }

  /** Lets the window's job be due at its own time, if it is still held. */
  private async release(window: ThrottleWindow, ledger: WriteLedger, session?: ClientSession): Promise<void> {
    await ledger.write(() =>
      this.jobs.updateOne(
        { _id: window.job._id, nextRunAt: throttleHeldUntil(window) },
        { $set: { nextRunAt: window.job.nextRunAt } },
        { session },
      ),
    );
  }

  private async markInserted(window: ThrottleWindow, ledger: WriteLedger, session?: ClientSession): Promise<void> {
    await ledger.write(() =>
      this.windows.updateOne({ _id: window._id, 'job._id': window.job._id }, { $set: { inserted: true } }, { session }),
    );
  }
}
