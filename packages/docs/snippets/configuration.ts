/**
 * Every `MonqueOptions` field with its default. All are optional.
 */
import { Monque } from '@monque/core';
import type { Db } from 'mongodb';

const DAY = 24 * 60 * 60 * 1000;

/** A scheduler with every option spelled out at its default value. */
export function createWithDefaults(db: Db): Monque {
  // #region all-options
  const monque = new Monque(db, {
    collectionName: 'monque_jobs', // the collection holding the jobs
    pollInterval: 1000, // ms between polls of an idle scheduler
    maxRetries: 10, // a job that has failed this many times is `failed` for good
    baseRetryInterval: 1000, // ms; a failed job is due again after 2^failCount × this
    maxBackoffDelay: 365 * DAY, // ms; the longest retry delay, whatever the backoff computes
    shutdownTimeout: 30_000, // ms stop() waits for running jobs before giving them back
    defaultConcurrency: 5, // handlers of one job name running at once in this instance
    // instanceConcurrency: 20, // default: no limit beyond each worker's concurrency
    lockTimeout: 30 * 60 * 1000, // ms a `processing` job's lock may stay unrenewed before it is stale
    recoverStaleJobs: true, // reset stale jobs (first scan at start(), then every staleCheckInterval)
    heartbeatInterval: 30_000, // ms; default min(lockTimeout / 4, 30000)
    staleCheckInterval: 60_000, // ms; default min(lockTimeout / 2, 60000)
    clockSkewTolerance: 60_000, // ms the clocks of instances may disagree
    operationTimeout: 30_000, // ms Monque waits for one database round trip
    changeStreamWakeups: true, // wake on new jobs through a change stream (replica sets)
    retention: { completed: DAY, failed: 7 * DAY, cancelled: 7 * DAY, sweepInterval: 60_000 },
    dataIndexes: [], // payload paths searched often, e.g. ['customer.id']
    telemetry: true, // OpenTelemetry spans and metrics when @opentelemetry/api is installed
    // logger: console, // default: silent
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
    instanceConcurrency: 50, // at most 50 handlers of all names at once in this process
    // Jobs are short: a crashed instance's jobs run again after 2 minutes, not 30.
    // The heartbeat (every 30 s here) keeps long-running healthy jobs locked.
    lockTimeout: 2 * 60 * 1000,
    maxRetries: 5,
    baseRetryInterval: 5_000, // retries after 10 s, 20 s, 40 s, 80 s
    retention: { completed: 60 * 60 * 1000 }, // keep completed jobs 1 hour; the rest as default
    dataIndexes: ['customer.id'], // getJobs({ data: { 'customer.id': 42 } }) uses an index
    logger: console, // start/stop, recoveries, lost locks, write trouble; never job data
  });
  // #endregion tuned
  return monque;
}
