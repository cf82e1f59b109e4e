/**
 * The demo's fixed scenario: the workers it registers and the jobs it enqueues. Each enqueue is
 * printed, so the output reads as a story: what was asked for, then (as events) what happened.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job, Monque } from '../../packages/core/src/index.js';
import type { EventLog } from './event-log.js';
import { formatClockTime, formatDuration, shortId } from './format.js';
import type { Palette } from './palette.js';

/** The cron expression of the recurring job: every minute. */
export const REPORT_CRON = '* * * * *';

/** How long the delayed job waits. */
export const DELAY_MS = 2_000;

/** What the scenario created. */
export interface ScenarioJobs {
  /** Hex ids of the one-off jobs; the scenario is over when all are completed or failed. */
  readonly oneOffIds: string[];
  /** The recurring (cron) job. */
  readonly recurring: Job;
  /** The id every enqueue of the unique job returned (one id when deduplication works). */
  readonly uniqueIds: string[];
}

/** Registers the demo's workers. Handlers sleep a little so that `processing` is visible. */
export function registerWorkers(monque: Monque, log: EventLog, palette: Palette): void {
  monque.worker<{ to: string }>(
    'send-email',
    async (job) => {
      await sleep(300 + (job.data.to.length % 4) * 150);
    },
    { concurrency: 3 },
  );
  monque.worker<{ file: string }>('resize-image', async () => {
    await sleep(400);
  });
  monque.worker<{ sku: string }>('sync-inventory', async () => {
    await sleep(800);
  });
  monque.worker<{ amount: number }>('flaky-payment', async (job) => {
    await sleep(100);
    // Fails on its first two attempts, succeeds on the third.
    if (job.failCount < 2) throw new Error('payment gateway timed out');
  });
  monque.worker<{ to: string }>('always-fails', async () => {
    await sleep(100);
    throw new Error('mailbox does not exist (this job always fails)');
  });
  monque.worker<{ report: string }>('nightly-report', async (job) => {
    await sleep(200);
    const how = job.repeatInterval ? `cron occurrence ('${job.repeatInterval}')` : 'one-off trigger';
    log.line(palette.magenta('HANDLER '), `nightly-report ${shortId(job._id)} wrote '${job.data.report}' (${how})`);
  });
}

/** Enqueues the scenario's jobs and prints what was enqueued. */
export async function enqueueScenario(monque: Monque, log: EventLog, palette: Palette): Promise<ScenarioJobs> {
  const tag = palette.bold('ENQUEUE ');
  const oneOff: Job[] = [];

  for (const to of ['ada@example.com', 'bob@example.com', 'cy@example.com', 'dee@example.com', 'eve@example.com']) {
    oneOff.push(await monque.enqueue('send-email', { to }));
  }
  log.line(tag, `5 × send-email (worker concurrency 3): ${oneOff.map((job) => shortId(job._id)).join(' ')}`);

  for (const file of ['cat.png', 'dog.png']) oneOff.push(await monque.enqueue('resize-image', { file }));
  log.line(tag, `2 × resize-image (default concurrency ${monque.options.defaultConcurrency})`);

  const delayed = await monque.enqueue(
    'send-email',
    { to: 'later@example.com' },
    { runAt: new Date(Date.now() + DELAY_MS) },
  );
  oneOff.push(delayed);
  log.line(tag, `delayed send-email ${shortId(delayed._id)}: runAt = now + ${formatDuration(DELAY_MS)}`);

  // Three concurrent enqueues with one uniqueKey: at most one pending/processing job may exist.
  const uniques = await Promise.all(
    [1, 2, 3].map(() => monque.enqueue('sync-inventory', { sku: 'A-42' }, { uniqueKey: 'sku:A-42' })),
  );
  const uniqueIds = uniques.map((job) => job._id.toHexString());
  const distinct = new Set(uniqueIds);
  const [firstUnique] = uniques;
  if (firstUnique) oneOff.push(firstUnique);
  log.line(
    tag,
    `sync-inventory with uniqueKey 'sku:A-42', 3 concurrent enqueue calls → ${uniques.map((job) => shortId(job._id)).join(', ')}: ` +
      (distinct.size === 1
        ? palette.green(`deduplicated to one job (_id ${uniqueIds[0]})`)
        : palette.red(`NOT deduplicated: ${distinct.size} different jobs`)),
  );

  const flaky = await monque.enqueue('flaky-payment', { amount: 42 });
  oneOff.push(flaky);
  const base = monque.options.baseRetryInterval;
  log.line(
    tag,
    `flaky-payment ${shortId(flaky._id)}: fails twice, then succeeds; retries after 2^n × ${base} ms ` +
      `(${formatDuration(2 * base)}, then ${formatDuration(4 * base)})`,
  );

  const doomed = await monque.enqueue('always-fails', { to: 'nobody@example.invalid' });
  oneOff.push(doomed);
  log.line(
    tag,
    `always-fails ${shortId(doomed._id)}: fails every time; maxRetries ${monque.options.maxRetries} → 'failed' for good`,
  );

  const recurring = await monque.schedule(REPORT_CRON, 'nightly-report', { report: 'daily-summary' });
  const dueIn = recurring.nextRunAt.getTime() - Date.now();
  log.line(
    palette.magenta('SCHEDULE'),
    `nightly-report ${shortId(recurring._id)} with cron '${REPORT_CRON}' (every minute): ` +
      `next run at ${formatClockTime(recurring.nextRunAt)}, in ${formatDuration(dueIn)}`,
  );
  const trigger = await monque.enqueue('nightly-report', { report: 'daily-summary (manual trigger)' });
  oneOff.push(trigger);
  log.line(
    palette.magenta('SCHEDULE'),
    `so you need not wait up to a minute, the demo also enqueued ${shortId(trigger._id)}: an ordinary one-off ` +
      `'nightly-report' job due now. It runs the same worker; it is NOT the cron firing. The cron job ` +
      `${shortId(recurring._id)} stays pending until ${formatClockTime(recurring.nextRunAt)}.`,
  );

  return { oneOffIds: oneOff.map((job) => job._id.toHexString()), recurring, uniqueIds };
}
