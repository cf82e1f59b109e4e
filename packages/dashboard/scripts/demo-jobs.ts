/**
 * The jobs and workers of `npm run dashboard`: several job names in every state, data worth
 * filtering on (`customer.id`), progress and results, failures with reasons, a paused name and a
 * steady trickle of new jobs so the throughput chart moves.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Monque, UnrecoverableError } from '@monque/core';

const CUSTOMERS = [7, 42, 1001, 2024, 31337];

/** Registers the demo's workers. */
export function registerDemoWorkers(monque: Monque): void {
  monque.worker<{ to: string; customer: { id: number } }>(
    'send-email',
    async (job) => {
      await sleep(200 + Math.random() * 400);
      if (job.data.to.endsWith('@bounce.example')) throw new Error(`mailbox ${job.data.to} does not exist (550)`);
      return { messageId: `<${job._id.toHexString()}@mail.example>` };
    },
    { concurrency: 3 },
  );
  monque.worker<{ customer: { id: number }; month: string }>('generate-report', async (job, { progress }) => {
    for (let step = 1; step <= 4; step += 1) {
      await sleep(500);
      await progress(step * 25);
    }
    return { pages: 12 + (job.data.customer.id % 20), url: `/reports/${job.data.customer.id}/${job.data.month}.pdf` };
  });
  monque.worker<{ customer: { id: number }; batch: number }>(
    'sync-crm',
    async (job) => {
      await sleep(300);
      if (job.data.customer.id === 42) throw new UnrecoverableError('CRM answered 403: customer 42 is archived');
      if (job.data.batch % 3 === 0) throw new Error('CRM API answered 503 (try again later)');
      return { synced: 50 + job.data.batch };
    },
    { maxRetries: 2, backoff: { type: 'fixed', delay: 1500 } },
  );
  monque.worker<{ file: string }>('resize-image', async () => {
    await sleep(250);
  });
  monque.worker<{ table: string }>('nightly-cleanup', async () => {
    await sleep(100);
    return { deleted: 0 };
  });
}

/** Enqueues the demo's jobs: finished ones, waiting ones, future ones, and a cron schedule. */
export async function enqueueDemoJobs(monque: Monque): Promise<void> {
  const now = Date.now();
  for (const [index, id] of CUSTOMERS.entries()) {
    const to = index === 3 ? `ops${index}@bounce.example` : `customer${id}@example.com`;
    await monque.enqueue('send-email', { to, customer: { id }, template: 'invoice-ready' });
    await monque.enqueue('generate-report', { customer: { id }, month: '2025-05' });
    await monque.enqueue('sync-crm', { customer: { id }, batch: index });
  }
  for (const file of ['cat.png', 'dog.png', 'bird.png']) await monque.enqueue('resize-image', { file, width: 640 });
  await monque.enqueue(
    'generate-report',
    { customer: { id: 42 }, month: '2025-06' },
    { runAt: new Date(now + 3 * 3_600_000) },
  );
  await monque.enqueue(
    'send-email',
    { to: 'later@example.com', customer: { id: 7 } },
    { runAt: new Date(now + 600_000) },
  );
  await monque.schedule('0 3 * * *', 'nightly-cleanup', { table: 'sessions' });
  // A name nobody works on right now: paused, with jobs waiting (and due) behind it.
  await monque.pause('export-csv');
  for (const id of CUSTOMERS.slice(0, 3)) await monque.enqueue('export-csv', { customer: { id }, rows: 1000 * id });
}

/** Enqueues a new job every `everyMs` until `signal` aborts, so the chart and counts move. */
export async function trickle(monque: Monque, signal: AbortSignal, everyMs = 2000): Promise<void> {
  let tick = 0;
  while (!signal.aborted) {
    tick += 1;
    const id = CUSTOMERS[tick % CUSTOMERS.length] as number;
    try {
      if (tick % 4 === 0) await monque.enqueue('sync-crm', { customer: { id }, batch: tick });
      else
        await monque.enqueue('send-email', { to: `customer${id}@example.com`, customer: { id }, template: 'reminder' });
    } catch {
      // The demo is stopping (the client closed): nothing to do.
    }
    await sleep(everyMs, undefined, { signal }).catch(() => {});
  }
}
