/**
 * The quickstart: one worker, two jobs, a clean stop. `tests/quickstart.test.ts` runs
 * {@link quickstart} against a database, so this page's code is known to work.
 */
// #region imports
import { Monque, type MonqueOptions } from '@monque/core';
import { type Db, MongoClient } from 'mongodb';
// #endregion imports

/** The payload of a `send-welcome-email` job. */
export interface WelcomeEmail {
  to: string;
  name: string;
}

/**
 * Registers a worker, enqueues two jobs, waits until both are processed, stops.
 * Resolves with the addresses the worker handled.
 */
// #region quickstart
export async function quickstart(db: Db, options: MonqueOptions = {}): Promise<string[]> {
  // 1. Create the scheduler. No I/O happens here.
  const monque = new Monque(db, options);

  // 2. Register a worker: the handler for jobs named 'send-welcome-email'.
  const sent: string[] = [];
  monque.worker<WelcomeEmail>('send-welcome-email', async (job) => {
    // Do the work here. Throwing (or rejecting) marks the run as failed; it is retried with backoff.
    sent.push(job.data.to);
  });

  // 3. Listen to what happens.
  let completed = 0;
  const bothDone = new Promise<void>((resolve) => {
    monque.on('job:complete', ({ job, duration }) => {
      console.log(`${job.name} ${job._id.toHexString()} completed in ${duration} ms`);
      completed += 1;
      if (completed === 2) resolve();
    });
  });
  monque.on('job:fail', ({ job, error, willRetry }) => {
    console.error(`${job.name} failed: ${error.message}${willRetry ? ' (will retry)' : ''}`);
  });

  // 4. Start: creates the indexes, recovers stale jobs, starts polling.
  await monque.start();

  // 5. Enqueue jobs, from this process or any other.
  await monque.enqueue('send-welcome-email', { to: 'ada@example.com', name: 'Ada' });
  await monque.now('send-welcome-email', { to: 'grace@example.com', name: 'Grace' });

  // 6. Stop gracefully: no new claims, running jobs may finish (up to shutdownTimeout).
  await bothDone;
  await monque.stop();
  return sent;
}
// #endregion quickstart

/** Connects to MongoDB and runs the quickstart. */
// #region main
export async function main(): Promise<void> {
  const client = new MongoClient(process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017');
  await client.connect();
  try {
    const sent = await quickstart(client.db('my_app'));
    console.log('welcome emails sent to', sent);
  } finally {
    await client.close();
  }
}
// #endregion main
