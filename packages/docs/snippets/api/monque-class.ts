/**
 * A tour of the `Monque` class.
 */
import { Monque } from '@monque/core';
import type { Db } from 'mongodb';

/** The job names of this application and their payloads (optional: typed jobs). */
interface Jobs {
  'resize-image': { id: string };
}

/** Creates, feeds, inspects and stops a scheduler. */
export async function tour(db: Db): Promise<void> {
  // #region tour
  const monque = new Monque<Jobs>(db, { collectionName: 'jobs' }); // no I/O yet

  monque.worker(
    'resize-image',
    async (job, { signal, progress }) => {
      signal.throwIfAborted(); // aborts on timeout, cancelJob(), a lost lock, stop()'s deadline
      await progress(50);
      return { resized: job.data.id }; // stored as job.result
    },
    { concurrency: 3, timeout: 60_000 },
  );

  await monque.start(); // indexes, first stale scan, claiming
  console.log(monque.isRunning, monque.isHealthy(), await monque.ping(), monque.instanceId);

  const job = await monque.enqueue('resize-image', { id: 'img-1' }, { priority: 5 });
  const same = await monque.getJob(job._id); // read it back (null if none)
  console.log(same?.status); // 'pending', 'processing' or 'completed' by now

  const { jobs, nextCursor } = await monque.getJobs({ name: 'resize-image', status: 'failed' }, { limit: 20 });
  console.log(jobs.length, nextCursor, await monque.getStats());
  await monque.pause('resize-image'); // every instance stops claiming it within one pollInterval
  await monque.resume('resize-image');

  await monque.stop(); // graceful; harmless to call twice
  // #endregion tour
}
