/**
 * What is paused, stored in the collection `<collectionName>_control` so every instance sees it and
 * it survives restarts: one document per paused job name (`_id: 'pause:name:<name>'`) and one for
 * "everything" (`_id: 'pause:all'`). A name is paused while either exists. The collection holds a
 * handful of documents: every read is a scan of it, and writes go by `_id`.
 */
import type { Collection, Db } from 'mongodb';
import type { PausedState } from '../queries.js';
import { isDuplicateKeyError } from './job-document.js';

/** Suffix of the collection holding the pause state. */
export const CONTROL_COLLECTION_SUFFIX = '_control';

const ALL_ID = 'pause:all';
const NAME_PREFIX = 'pause:name:';

/** A pause document. */
export interface PauseDocument {
  _id: string;
  kind: 'pause';
  /** The paused job name; `null` for everything. */
  name: string | null;
  pausedAt: Date;
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
   * pause documents). The engine calls it at most once per `pollInterval`.
   */
  async read(): Promise<PausedState> {
    const docs = await this.collection.find({ kind: 'pause' }).toArray();
    if (docs.some((doc) => doc._id === ALL_ID)) return 'all';
    return docs
      .map((doc) => doc.name)
      .filter((name): name is string => typeof name === 'string')
      .sort();
  }
}
