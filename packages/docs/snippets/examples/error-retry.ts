/**
 * Example: a flaky call retried with backoff, and what the job looks like along the way.
 */
import { type Job, Monque } from '@monque/core';
import type { Db } from 'mongodb';

/** The payload of a `call-webhook` job. */
export interface WebhookCall {
  url: string;
  payload: Record<string, unknown>;
}

// #region example
/** Calls a webhook; non-2xx answers and network errors are retried, 4xx answers are not. */
export async function webhookScheduler(db: Db): Promise<Monque> {
  const monque = new Monque(db, {
    maxRetries: 6, // the 6th failure is final
    baseRetryInterval: 30_000, // retries after 1, 2, 4, 8 and 16 minutes
  });

  monque.worker<WebhookCall>('call-webhook', async (job) => {
    const response = await fetch(job.data.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(job.data.payload),
    });
    if (response.status >= 400 && response.status < 500) {
      console.warn(`webhook ${job.data.url} rejected the call (${response.status}); not retrying`);
      return; // the job completes: retrying a 4xx would not help
    }
    if (!response.ok) throw new Error(`webhook answered ${response.status}`); // retried
  });

  monque.on('job:fail', ({ job, error, willRetry }) => {
    const when = willRetry ? `retry at ${job.nextRunAt.toISOString()}` : 'giving up';
    console.warn(`call-webhook ${job._id.toHexString()} failure ${job.failCount}: ${error.message}; ${when}`);
  });

  await monque.start();
  return monque;
}
// #endregion example

/** Inspects a job after failures. */
// #region inspect
export async function inspect(monque: Monque, id: Job['_id']): Promise<string> {
  const job = await monque.getJob<WebhookCall>(id);
  if (!job) return 'no such job';
  // pending + failCount > 0: waiting for a retry; failed: gave up; failReason: the last error's message
  return `${job.status}, ${job.failCount} failure(s), last: ${job.failReason ?? '-'}, next run ${job.nextRunAt.toISOString()}`;
}
// #endregion inspect
