/**
 * Every event of a `Monque` instance, with its typed payload.
 */
import type { Monque, MonqueEventMap } from '@monque/core';

/** Logs every event. */
export function logEverything(monque: Monque): void {
  // #region all-events
  // A job's run, on the instance that runs it
  monque.on('job:start', (job) => {
    console.log(`start ${job.name} ${job._id.toHexString()} (attempt ${job.attempts ?? 1})`);
  });
  monque.on('job:progress', ({ job, progress }) => {
    console.log(`progress ${job.name}: ${JSON.stringify(progress)}`);
  });
  monque.on('job:complete', ({ job, duration, result }) => {
    console.log(`complete ${job.name} in ${duration} ms, returned ${JSON.stringify(result)}; now ${job.status}`);
  });
  monque.on('job:fail', ({ job, error, willRetry }) => {
    console.log(`fail ${job.name}: ${error.message}; failCount ${job.failCount}; willRetry ${willRetry}`);
  });
  monque.on('job:recovered', ({ job, willRetry }) => {
    console.warn(`recovered ${job.name} from owner ${job.owner ?? '?'}; willRetry ${willRetry}`);
  });
  monque.on('job:error', ({ error, job }) => {
    console.error(`error${job ? ` (job ${job._id.toHexString()})` : ''}: ${error.message}`);
  });

  // Operations, on the instance that made the change
  monque.on('job:cancelled', ({ job }) => console.log(`cancelled ${job._id.toHexString()}`));
  monque.on('job:retried', ({ job }) => console.log(`retried ${job._id.toHexString()}`));
  monque.on('job:deleted', ({ jobId }) => console.log(`deleted ${jobId.toHexString()}`));
  monque.on('jobs:cancelled', ({ query, count }) => console.log(`cancelled ${count}`, query));
  monque.on('jobs:retried', ({ query, count }) => console.log(`retried ${count}`, query));
  monque.on('jobs:deleted', ({ query, count }) => console.log(`deleted ${count}`, query));
  monque.on('queue:paused', ({ name }) => console.log(`paused ${name ?? 'every name'}`));
  monque.on('queue:resumed', ({ name }) => console.log(`resumed ${name ?? 'every name'}`));

  monque.on('wakeup:fallback', ({ reason }) => {
    console.info(`no change streams (${reason}); polling every pollInterval`);
  });
  // #endregion all-events
}

/** Counts completions per job name; returns a function that removes the listener. */
export function countCompletions(monque: Monque, counts: Map<string, number>): () => void {
  // #region typed-listener
  const onComplete = ({ job }: MonqueEventMap['job:complete']): void => {
    counts.set(job.name, (counts.get(job.name) ?? 0) + 1);
  };
  monque.on('job:complete', onComplete);
  return () => monque.off('job:complete', onComplete);
  // #endregion typed-listener
}

/** An async listener: a rejection is reported as `job:error`, never an unhandled rejection. */
export function auditFailures(monque: Monque, store: (line: string) => Promise<void>): void {
  // #region async-listener
  monque.on('job:fail', async ({ job, error }) => {
    await store(`${job._id.toHexString()} ${error.message}`); // if this rejects: job:error, code MONQUE_LISTENER
  });
  // #endregion async-listener
}
