/**
 * The dead-letter job of a failure: same `data`, `deadLetterOf` naming the failed job, and an id
 * that depends only on that failure (the failed job's id and attempt, and the failure time in the
 * id's timestamp bytes, so lists sort it where it belongs). Writing it twice writes it once.
 */
import { createHash } from 'node:crypto';
import type { ObjectId, OptionalId } from 'mongodb';
import type { DeadLetterSource } from '../store/dead-letter-store.js';
import type { InsertStore } from '../store/insert-store.js';
import type { JobDocument } from '../store/job-document.js';
import type { ObjectIds } from '../store/object-ids.js';

/** The id of the dead letter of `job`'s failure at `failedAt`. */
export function deadLetterId(ids: ObjectIds, job: Pick<JobDocument, '_id' | 'attempts'>, failedAt: Date): ObjectId {
  const seconds = Math.floor(failedAt.getTime() / 1000)
    .toString(16)
    .padStart(8, '0')
    .slice(-8);
  const key = `monque-dead-letter:${job._id.toHexString()}:${job.attempts ?? 0}`;
  return ids.fromHex(seconds + createHash('sha256').update(key).digest('hex').slice(0, 16));
}

/**
 * What to write for the failed job `failed` (as stored after its failure: `status: 'failed'`,
 * `deadLetterDue` the name, `failReason`, `failCount`, `finishedAt`), due `now`.
 */
export function deadLetterOf(
  failed: JobDocument & { deadLetterDue: string },
  ids: ObjectIds,
  inserts: InsertStore,
  now: Date,
): DeadLetterSource {
  const failedAt = failed.finishedAt ?? failed.updatedAt;
  const letter: OptionalId<JobDocument> = inserts.newDocument(
    {
      name: failed.deadLetterDue,
      data: failed.data,
      nextRunAt: now,
      fields: {
        _id: deadLetterId(ids, failed, failedAt),
        deadLetterOf: {
          jobId: failed._id,
          name: failed.name,
          failReason: failed.failReason ?? '',
          failCount: failed.failCount,
        },
      },
    },
    now,
  );
  return { job: failed, letter };
}
