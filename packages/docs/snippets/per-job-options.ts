/**
 * Per-job options: priority, retry policy, timeouts and the handler's signal, progress, results,
 * UnrecoverableError, transactional enqueue and typed jobs. `tests/per-job-options.test.ts` runs
 * these functions against a server.
 */
import { Monque, UnrecoverableError } from '@monque/core';
import type { Db, MongoClient } from 'mongodb';

/** Enqueues three e-mails of different urgency. */
export async function enqueueByPriority(monque: Monque): Promise<void> {
  // #region priority
  await monque.enqueue('send-email', { to: 'all@example.com', template: 'newsletter' }, { priority: -10 });
  await monque.enqueue('send-email', { to: 'ada@example.com', template: 'welcome' }); // priority 0
  await monque.enqueue('send-email', { to: 'ada@example.com', template: 'password-reset' }, { priority: 10 });
  // Once due, the reset goes first, then the welcome, then the newsletter.
  // #endregion priority
}

/** The three levels of retry settings. */
export async function retryLevels(db: Db, syncAccount: (accountId: number) => Promise<void>): Promise<Monque> {
  // #region retries
  // The instance: every job without settings of its own or of its worker.
  const monque = new Monque(db, {
    maxRetries: 10, // failed for good at the 10th failure
    baseRetryInterval: 1_000, // 2 s, 4 s, 8 s … after failure 1, 2, 3 …
    maxBackoffDelay: 60 * 60 * 1000, // no retry waits longer than an hour, whatever the backoff says
  });

  // The worker: its jobs that have no settings of their own.
  monque.worker<{ accountId: number }>('sync-crm', (job) => syncAccount(job.data.accountId), {
    maxRetries: 5,
    backoff: { type: 'fixed', delay: 30_000 },
  });

  // The job: stored on it, so whichever instance runs it applies these.
  await monque.enqueue(
    'sync-crm',
    { accountId: 7 },
    { maxRetries: 3, backoff: { type: 'exponential', delay: 1_000, maxDelay: 60_000, jitter: 0.2 } },
  );
  // #endregion retries
  return monque;
}

/** A worker whose runs give up after `timeout` ms, passing the signal to `fetch`. */
export function registerReportFetcher(monque: Monque, timeout = 30_000): void {
  // #region timeout
  monque.worker<{ url: string }>(
    'fetch-report',
    async (job, { signal }) => {
      // At the deadline the signal aborts: fetch rejects at once and the connection is closed.
      const response = await fetch(job.data.url, { signal });
      const body = await response.text();
      return { status: response.status, bytes: body.length };
    },
    { timeout }, // ms; a job's own { timeout } wins over the worker's
  );
  // #endregion timeout
}

/** One row of an import. */
export interface Row {
  sku: string;
  quantity: number;
}

/** A long loop that checks its signal, reports progress and returns a result. */
export function registerImporter(monque: Monque, importRow: (row: Row) => Promise<void>): void {
  // #region loop
  monque.worker<{ rows: Row[] }>(
    'import-rows',
    async (job, { signal, progress }) => {
      const { rows } = job.data;
      for (const [index, row] of rows.entries()) {
        // Throws the abort reason (JobTimeoutError, JobCancelledError, JobLockLostError or
        // ShutdownTimeoutError) once the run should stop.
        signal.throwIfAborted();
        await importRow(row);
        if (index % 100 === 99) await progress({ done: index + 1, of: rows.length });
      }
      return { imported: rows.length }; // stored as job.result
    },
    { timeout: 10 * 60 * 1000 },
  );
  // #endregion loop
}

/** Listening to progress and results. */
export function watchImports(monque: Monque, show: (line: string) => void): void {
  // #region listen
  monque.on('job:progress', ({ job, progress }) => {
    show(`${job.name} ${job._id.toHexString()}: ${JSON.stringify(progress)}`);
  });
  monque.on('job:complete', ({ job, result, duration }) => {
    show(`${job.name} ${job._id.toHexString()} done in ${duration} ms: ${JSON.stringify(result)}`);
  });
  // #endregion listen
}

/** A worker that refuses for good what no retry can fix. */
export function registerBilling(
  monque: Monque,
  findCustomer: (id: string) => Promise<{ id: string; card: string } | null>,
  charge: (card: string, amountCents: number) => Promise<void>,
): void {
  // #region unrecoverable
  monque.worker<{ customerId: string; amountCents: number }>('charge-card', async (job) => {
    const customer = await findCustomer(job.data.customerId);
    // failed at once, whatever retries are left (a recurring job goes on at its next time)
    if (!customer) throw new UnrecoverableError(`customer ${job.data.customerId} does not exist`);
    await charge(customer.card, job.data.amountCents); // a throw here is retried as usual
  });
  // #endregion unrecoverable
}

/** An order. */
export interface Order {
  orderId: string;
  email: string;
  totalCents: number;
}

/** Stores an order and its receipt job together: both or neither. */
export async function placeOrder(client: MongoClient, db: Db, monque: Monque, order: Order): Promise<void> {
  // #region transaction
  await client.withSession((session) =>
    // withTransaction runs the callback again after a transient error (a write conflict, a lost
    // connection): Monque hands such errors on unwrapped, as the driver raised them.
    session.withTransaction(async () => {
      await db.collection<Order>('orders').insertOne({ ...order }, { session });
      await monque.enqueue(
        'send-receipt',
        { orderId: order.orderId, to: order.email },
        { session, uniqueKey: `receipt-${order.orderId}` },
      );
    }),
  );
  // #endregion transaction
}

/** The job map of the typed-jobs sample. */
// #region typed
export interface AppJobs {
  'send-email': { to: string; subject: string };
  'resize-image': { url: string; width: number };
}

export async function typedJobs(
  db: Db,
  resize: (url: string, width: number) => Promise<string>,
): Promise<Monque<AppJobs>> {
  const monque = new Monque<AppJobs>(db);

  // job.data is { url: string; width: number }
  monque.worker('resize-image', (job) => resize(job.data.url, job.data.width));

  await monque.enqueue('send-email', { to: 'ada@example.com', subject: 'Welcome' });

  monque.on('job:complete', ({ job }) => {
    if (job.name === 'resize-image') console.log(`resized to ${job.data.width} px`); // narrowed by name
  });
  return monque;
}
// #endregion typed

/** What the compiler refuses on a typed instance (never called). */
export function typedMistakes(monque: Monque<AppJobs>): void {
  // #region typed-errors
  // @ts-expect-error: 'send-sms' is not a job of AppJobs
  void monque.enqueue('send-sms', { to: '+15550100' });
  // @ts-expect-error: { url, width } is the payload of 'resize-image', not of 'send-email'
  void monque.enqueue('send-email', { url: '/logo.png', width: 64 });
  // @ts-expect-error: a 'send-email' job has no width
  monque.worker('send-email', (job) => job.data.width);
  // #endregion typed-errors
}
