/**
 * What is paused, stored in the collection `<collectionName>_control` so every instance sees it and
 * it survives restarts: one document per paused job name (`_id: 'pause:name:<name>'`) and one for
 * "everything" (`_id: 'pause:all'`). A name is paused while either exists. The collection holds a
 * handful of documents: every read is a scan of it, and writes go by `_id`.
 *
 * It also holds the hold of a job name whose handler threw a `RateLimitError` and whose worker has
 * no `rateLimit` (`_id: 'hold:name:<name>'`, `kind: 'hold'`, `until`): the name starts nothing
 * until then. It travels with the pause state, so other instances honour it within one
 * `pollInterval`; names with a `rateLimit` keep it in their rate record instead (exact).
 */
import type { Collection, Db, Filter } from 'mongodb';
import type { PausedState } from '../queries.js';
import { isDuplicateKeyError } from './job-document.js';

/** Suffix of the collection holding the pause state. */
export const CONTROL_COLLECTION_SUFFIX = '_control';

const ALL_ID = 'pause:all';
const NAME_PREFIX = 'pause:name:';
const HOLD_PREFIX = 'hold:name:';

/** A pause document. */
export interface PauseDocument {
  _id: string;
  kind: 'pause';
  /** The paused job name; `null` for everything. */
  name: string | null;
  pausedAt: Date;
}

/** A hold of a job name (a `RateLimitError` of a worker without `rateLimit`). */
export interface HoldDocument {
  _id: string;
  kind: 'hold';
  name: string;
  until: Date;
}

/** The pause state and the holds in force, as the engine reads them. */
export interface GateState {
  readonly paused: PausedState;
  /** Held job names and until when (ms since the epoch). */
  readonly holds: Readonly<Record<string, number>>;
}

/** Whether jobs named `name` may not be claimed under `state`. */
export function isNamePaused(state: PausedState, name: string): boolean {
  return state === 'all' || state.includes(name);
}

/** Reads and writes the pause state. */
export class PauseStore {
  readonly collection: Collection<PauseDocument>;

  constructor(db: Db, jobsCollectionName: string) {
    this.collection = db.collection<PauseDocument>(`${jobsCollectionName}${CONTROL_COLLECTION_SUFFIX}`);
  }

  private get holds(): Collection<HoldDocument> {
    return this.collection as unknown as Collection<HoldDocument>;
  }

  /**
   * Holds `name` until `until`: one upsert by `_id` that only ever moves the hold later.
   */
  async hold(name: string, until: Date): Promise<void> {
    const _id = `${HOLD_PREFIX}${name}`;
    try {
      await this.holds.updateOne(
        { _id, $or: [{ until: { $exists: false } }, { until: { $lt: until } }] },
        { $set: { kind: 'hold', name, until } },
        { upsert: true },
      );
    } catch (error) {
      // Held until later already (the filter did not match, the insert collided).
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /**
   * The pause state and the holds (one `find` of the pause and hold documents): what the engine
   * reads, at most once per `pollInterval`.
   */
  async readGate(): Promise<GateState> {
    const docs = await this.collection.find({ kind: { $in: ['pause', 'hold'] } } as Filter<PauseDocument>).toArray();
    // No prototype: a job name such as `__proto__` or `constructor` is a key like any other (on a
    // plain object the first was dropped and the second read as held by Object).
    const holds: Record<string, number> = Object.create(null);
    for (const doc of docs as (PauseDocument | HoldDocument)[]) {
      if (doc.kind === 'hold' && doc.until instanceof Date) holds[doc.name] = doc.until.getTime();
    }
    return { paused: pausedOf(docs.filter((doc) => doc.kind === 'pause')), holds };
  }

  /**
   * Pauses `name`, or everything when `null`: one upsert by `_id` (index `_id`). Pausing what is
   * paused already keeps the first `pausedAt`.
   */
  async pause(name: string | null, now: Date): Promise<void> {
    const _id = name === null ? ALL_ID : `${NAME_PREFIX}${name}`;
    try {
      await this.collection.updateOne(
        { _id },
        { $setOnInsert: { kind: 'pause', name, pausedAt: now } },
        { upsert: true },
      );
    } catch (error) {
      // Two instances pausing the same name at once: the other one's insert won, it is paused.
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  /**
   * Resumes `name` (one `delete` by `_id`), or, when `null`, everything: the global pause and every
   * name's (one `deleteMany`). Resuming one name while everything is paused changes nothing for
   * it until everything is resumed.
   */
  async resume(name: string | null): Promise<void> {
    if (name === null) await this.collection.deleteMany({ kind: 'pause' });
    else await this.collection.deleteOne({ _id: `${NAME_PREFIX}${name}` });
  }

  /**
   * What is paused now: `'all'`, or the paused names in alphabetical order (one `find` of the
   * pause documents). `getPaused()` reads this; the engine reads {@link PauseStore.readGate}.
   */
  async read(): Promise<PausedState> {
    return pausedOf(await this.collection.find({ kind: 'pause' }).toArray());
  }
}

function pausedOf(docs: readonly PauseDocument[]): PausedState {
  if (docs.some((doc) => doc._id === ALL_ID)) return 'all';
  return docs
    .map((doc) => doc.name)
    .filter((name): name is string => typeof name === 'string')
    .sort();
}
