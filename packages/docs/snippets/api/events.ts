/**
 * Every event of a `Monque` instance, with its typed payload.
 */
import type { Monque, MonqueEventMap } from '@monque/core';

/** Logs every event. */
export function logEverything(monque: Monque): void {
  // #region all-events
  monque.on('job:start', (job) => {
    console.log(`start ${job.name} ${job._id.toHexString()} (attempt ${job.failCount + 1})`);
  });
  monque.on('job:complete', ({ job, duration }) => {
    console.log(`complete ${job.name} in ${duration} ms; status now ${job.status}`);
  });
  monque.on('job:fail', ({ job, error, willRetry }) => {
    console.log(`fail ${job.name}: ${error.message}; failCount ${job.failCount}; willRetry ${willRetry}`);
  });
  monque.on('job:error', ({ error, job }) => {
    console.error(`error${job ? ` (job ${job._id.toHexString()})` : ''}: ${error.message}`);
  });
  monque.on('job:recovered', ({ job, willRetry }) => {
    console.warn(`recovered ${job.name} from owner ${job.owner ?? '?'}; willRetry ${willRetry}`);
  });
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
