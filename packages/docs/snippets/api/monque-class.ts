/**
 * A tour of the `Monque` class.
 */
import { Monque } from '@monque/core';
import type { Db } from 'mongodb';

/** Creates, feeds and stops a scheduler. */
export async function tour(db: Db): Promise<void> {
  // #region tour
  const monque = new Monque(db, { collectionName: 'jobs' }); // no I/O yet

  monque.worker<{ id: string }>(
    'resize-image',
    async (job) => {
      console.log('resizing', job.data.id);
    },
    { concurrency: 3 },
  );

  await monque.start(); // indexes, stale recovery, polling
  console.log(monque.isRunning, monque.isHealthy(), monque.instanceId);

  const job = await monque.enqueue('resize-image', { id: 'img-1' });
  const same = await monque.getJob<{ id: string }>(job._id); // read it back (null if none)
  console.log(same?.status); // 'pending', 'processing' or 'completed' by now

  await monque.stop(); // graceful; harmless to call twice
  // #endregion tour
}
