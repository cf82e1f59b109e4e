/**
 * Deduplication modes: replace, debounce (the search reindex), throttle, and the event that says
 * what an enqueue did. `tests/deduplication.test.ts` runs these functions against a server.
 */
import type { Job, Monque } from '@monque/core';

/** A user's profile changed: sync the latest version, once, whatever happened meanwhile. */
export function syncProfile(monque: Monque, userId: string, profile: { name: string }): Promise<Job> {
  // #region replace
  return monque.enqueue(
    'sync-profile',
    { userId, profile },
    // A pending sync of this user gets the new profile; one already running finishes, and one
    // more sync (with the new profile) waits behind it.
    { uniqueKey: `user-${userId}`, onDuplicate: 'replace' },
  );
  // #endregion replace
}

/** A document was edited: rebuild its search index once the edits stop. */
export function reindexOnEdit(monque: Monque, documentId: string, revision: number): Promise<Job> {
  // #region debounce
  return monque.enqueue(
    'reindex-document',
    { documentId, revision },
    {
      uniqueKey: `doc-${documentId}`,
      debounce: 2_000, // run 2 s after the last edit …
      maxWait: 30_000, // … but never later than 30 s after the first edit of the burst
    },
  );
  // #endregion debounce
}

/** A user did something worth a digest e-mail: at most one per hour. */
export function notifyDigest(monque: Monque, userId: string, event: string): Promise<Job> {
  // #region throttle
  return monque.enqueue(
    'send-digest',
    { userId, event },
    // The first call creates the job; calls within the next hour return that job, whatever it
    // became (sent, failed, even deleted), and create nothing.
    { uniqueKey: `digest-${userId}`, throttle: 60 * 60 * 1000 },
  );
  // #endregion throttle
}

/** Counting what deduplication saved. */
export function countDeduplications(monque: Monque, count: (name: string, outcome: string) => void): void {
  // #region event
  monque.on('job:deduplicated', ({ job, outcome }) => {
    // outcome: 'kept' | 'replaced' | 'debounced' | 'throttled' (no event when a job was created)
    count(job.name, outcome);
  });
  // #endregion event
}
