/**
 * Every `MonqueOptions` field with its default. All are optional.
 */
import { Monque } from '@monque/core';
import type { Db } from 'mongodb';

/** A scheduler with every option spelled out at its default value. */
export function createWithDefaults(db: Db): Monque {
  // #region all-options
  const monque = new Monque(db, {
    collectionName: 'monque_jobs', // the collection holding the jobs
    pollInterval: 1000, // ms between polls of an idle scheduler
    maxRetries: 10, // a job that has failed this many times is `failed` for good
    baseRetryInterval: 1000, // ms; a failed job is due again after 2^failCount × this
    shutdownTimeout: 30_000, // ms stop() waits for running handlers
    defaultConcurrency: 5, // handlers of one job name running at once in this instance
    lockTimeout: 30 * 60 * 1000, // ms without a heartbeat after which a `processing` job is stale
    recoverStaleJobs: true, // reset stale jobs on start() and every staleCheckInterval
    heartbeatInterval: 30_000, // ms; default min(lockTimeout / 4, 30000)
    staleCheckInterval: 60_000, // ms; default min(lockTimeout / 2, 60000)
    changeStreamWakeups: true, // wake on new jobs through a change stream (replica sets)
    // instanceId: 'worker-1', // default `hostname:pid:random`, stored as `owner` on claimed jobs
    // clock: { now: () => new Date() }, // the time source (tests can replace it)
  });
  // #endregion all-options
  return monque;
}

/** A tuned configuration for short jobs and quick recovery. */
export function createTuned(db: Db): Monque {
  // #region tuned
  const monque = new Monque(db, {
    collectionName: 'jobs',
    defaultConcurrency: 20,
    // Jobs are short: a crashed instance's jobs are retried after 2 minutes, not 30.
    // The heartbeat (every 30 s by default) keeps long-running healthy jobs locked.
    lockTimeout: 2 * 60 * 1000,
    maxRetries: 5,
    baseRetryInterval: 5_000, // retries after 10 s, 20 s, 40 s, 80 s
  });
  // #endregion tuned
  return monque;
}
