/**
 * Dead-letter jobs: when a job fails for good and a `deadLetter` name applies, its failure write
 * also sets `deadLetterDue` (the name) on it; the dead-letter job is then inserted under an id
 * derived from the failed job's id, its attempt and the failure time, so inserting it again (a
 * lost reply, a crash before the marker was cleared, the sweep) finds it there and adds nothing;
 * then the marker is cleared. Index: `monque_dead_letter_due` (partial).
 */
import type { AnyBulkWriteOperation, Collection, Filter, OptionalId } from 'mongodb';
import { JobStatus } from '../job.js';
import type { ExpiryOf } from './dependency-store.js';
import { isDuplicateKeyError, type JobDocument, unsetOf } from './job-document.js';

/** A failed job whose dead letter is written, as it was when it failed. */
export interface DeadLetterSource {
  readonly job: Pick<JobDocument, '_id' | 'updatedAt' | 'finishedAt'>;
  /** The dead-letter job to insert (its `_id` set). */
  readonly letter: OptionalId<JobDocument>;
}

/** Writes dead-letter jobs. */
export class DeadLetterStore {
  constructor(
    private readonly collection: Collection<JobDocument>,
    private readonly expiryOf: ExpiryOf,
  ) {}

  /**
   * Inserts each letter unless a document with its id exists (one unordered `insert`; when some
   * were there already, the others one by one, since some servers refuse a batch with a duplicate
   * as a whole), then clears each source's marker if the job has not changed since it failed
   * (one `bulkWrite`), giving it the `expireAt` retention held back (unless it still has
   * dependents to tell).
   */
  async write(sources: readonly DeadLetterSource[]): Promise<void> {
    if (sources.length === 0) return;
    const letters = sources.map((source) => source.letter as JobDocument);
    try {
      await this.collection.insertMany(letters, { ordered: false });
    } catch (error) {
      if (!isDuplicateKeyError(error) && !onlyDuplicates(error)) throw error;
      for (const letter of letters) {
        await this.collection.insertOne(letter).catch((single: unknown) => {
          if (!isDuplicateKeyError(single)) throw single;
        });
      }
    }
    const operations: AnyBulkWriteOperation<JobDocument>[] = sources.flatMap(({ job }) => {
      const failed = {
        _id: job._id,
        deadLetterDue: { $exists: true },
        updatedAt: job.updatedAt,
      } as Filter<JobDocument>;
      const unset = { $unset: unsetOf('deadLetterDue') };
      const expireAt = this.expiryOf(JobStatus.FAILED, job.finishedAt ?? job.updatedAt);
      return [
        {
          updateOne: {
            filter: { ...failed, notifyDependents: { $exists: false } },
            update: expireAt ? { ...unset, $set: { expireAt } } : unset,
          },
        },
        { updateOne: { filter: { ...failed, notifyDependents: { $exists: true } }, update: unset } },
      ];
    });
    await this.collection.bulkWrite(operations, { ordered: false });
  }

  /** Failed jobs whose dead letter may not be written yet. */
  findDue(limit: number): Promise<JobDocument[]> {
    return this.collection
      .find({ deadLetterDue: { $exists: true }, status: JobStatus.FAILED })
      .limit(limit)
      .toArray();
  }
}

/** A bulk write error whose every write error is a duplicate key. */
function onlyDuplicates(error: unknown): boolean {
  const writeErrors = (error as { writeErrors?: unknown } | null)?.writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
  return list.length > 0 && list.every((entry) => isDuplicateKeyError(entry));
}
