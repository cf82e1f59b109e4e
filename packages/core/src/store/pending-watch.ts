/**
 * The change stream that reports jobs becoming `pending` (inserted, retried, rescheduled,
 * recovered): a hint for waking pollers only; polling stays the safety net.
 */
import type { ChangeStream, Collection } from 'mongodb';
import { JobStatus } from '../job.js';
import type { JobDocument } from './job-document.js';

/**
 * How long the server holds each wait for changes: one `getMore` per this interval while nothing
 * happens, so an idle instance's stream costs a fraction of a command per poll.
 */
export const CHANGE_WAIT_MS = 5_000;

/** Opens the stream; the caller must handle its `error` event. */
export function watchPending(collection: Collection<JobDocument>): ChangeStream<JobDocument> {
  return collection.watch<JobDocument>(
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
    { maxAwaitTimeMS: CHANGE_WAIT_MS },
  );
}
