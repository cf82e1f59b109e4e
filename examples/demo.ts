/**
 * The Monque demo: a small but real program.
 *
 *   npm run demo               runs until Ctrl-C, then stops gracefully (running jobs finish)
 *   npm run demo -- --once     runs the fixed scenario, prints a summary and exits (0 on success)
 *
 * It registers workers, enqueues one-off, delayed and unique jobs, a job that fails twice and then
 * succeeds (retries with visible backoff), a job that always fails, and a cron schedule, and prints
 * the events as they fire plus a live table of job counts per status.
 *
 * Server, in this order: MONQUE_TEST_URI (set by the test suite) > MONGODB_URI > the embedded
 * MongoDB-compatible server, started here and stopped when the demo ends (linux x64 only).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Db, MongoClient } from 'mongodb';
import { type Job, Monque } from '../packages/core/src/index.js';
import { chooseDemoBackend, type DemoBackend } from './demo/backend.js';
import { EventLog } from './demo/event-log.js';
import { shortId } from './demo/format.js';
import { LiveOutput } from './demo/live-output.js';
import { createPalette, wantsColour } from './demo/palette.js';
import { enqueueScenario, registerWorkers, type ScenarioJobs } from './demo/scenario.js';
import { ShutdownSignal } from './demo/shutdown-signal.js';
import { StatusBoard } from './demo/status-board.js';
import { summarise } from './demo/summary.js';

/** How long `--once` waits for the one-off jobs before giving up (exit 1). */
const ONCE_TIMEOUT_MS = 30_000;
/** In the endless mode, a new email job is enqueued this often so there is always something to see. */
const TICK_MS = 3_000;
const DATABASE = 'monque_demo';

const once = process.argv.includes('--once');
const startedAt = Date.now();
const out = new LiveOutput(process.stdout, process.stdout.isTTY === true);
const palette = createPalette(wantsColour(process.stdout));
const monqueOptions = {
  collectionName: `demo_jobs_${startedAt}`,
  pollInterval: 200,
  baseRetryInterval: 500,
  maxRetries: 3,
  shutdownTimeout: 10_000,
} as const;
const log = new EventLog({ out, palette, startedAt, maxRetries: monqueOptions.maxRetries });

let backend: DemoBackend | undefined;
const signal = new ShutdownSignal((name) => {
  out.clearRegion();
  log.line(palette.red('FORCE   '), `${name} again: exiting without waiting for running jobs`);
  void (backend?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
});

/** What ended the run. */
type Ending = 'finished' | 'timeout' | 'signal';

async function waitForScenario(scenario: ScenarioJobs): Promise<Ending> {
  const timeout = sleep(ONCE_TIMEOUT_MS, 'timeout' as const, { ref: false });
  return Promise.race([
    log.waitForFinished(scenario.oneOffIds).then(() => 'finished' as const),
    timeout,
    signal.promise.then(() => 'signal' as const),
  ]);
}

async function runEndlessly(monque: Monque): Promise<Ending> {
  log.line(
    palette.bold('RUNNING '),
    `the scenario is running; a new send-email job is enqueued every ${TICK_MS / 1000} s. Press Ctrl-C to stop.`,
  );
  let count = 0;
  const ticker = setInterval(() => {
    count += 1;
    monque
      .enqueue('send-email', { to: `visitor${count}@example.com` })
      .then((job) => log.line(palette.bold('ENQUEUE '), `send-email ${shortId(job._id)} (visitor${count})`))
      .catch((error: unknown) => log.line(palette.red('ERROR   '), `enqueue failed: ${(error as Error).message}`));
  }, TICK_MS);
  try {
    await signal.promise;
    return 'signal';
  } finally {
    clearInterval(ticker);
  }
}

async function removeDemoJobs(db: Db, source: DemoBackend['source']): Promise<void> {
  const jobs = db.collection<Job>(monqueOptions.collectionName);
  if (source === 'uri') {
    // A server you pointed us at: drop the collection the demo created.
    await jobs.drop();
    log.line(palette.dim('CLEANUP '), `dropped ${DATABASE}.${monqueOptions.collectionName}`);
    return;
  }
  // The embedded server cannot drop collections; emptying it is enough.
  const { deletedCount } = await jobs.deleteMany({});
  log.line(palette.dim('CLEANUP '), `removed the demo's ${deletedCount} job document(s)`);
}

async function main(): Promise<number> {
  out.print(
    palette.bold('Monque demo') +
      (once ? ' — --once: the fixed scenario, then a summary and exit' : ' — runs until Ctrl-C'),
  );
  log.line(palette.blue('BACKEND '), 'choosing the server: MONQUE_TEST_URI > MONGODB_URI > embedded server');
  let client: MongoClient | undefined;
  let monque: Monque | undefined;
  let board: StatusBoard | undefined;
  let scenario: ScenarioJobs | undefined;
  let ending: Ending | 'error' = 'error';
  try {
    backend = await chooseDemoBackend();
    log.line(palette.blue('BACKEND '), `using ${backend.description}`);
    if (signal.received) {
      ending = 'signal';
      return once ? 130 : 0;
    }
    client = await new MongoClient(backend.uri, { serverSelectionTimeoutMS: 10_000 }).connect();
    const db = client.db(DATABASE);
    monque = new Monque(db, monqueOptions);
    log.line(
      palette.blue('CONFIG  '),
      `collection ${DATABASE}.${monqueOptions.collectionName}; pollInterval ${monqueOptions.pollInterval} ms, ` +
        `baseRetryInterval ${monqueOptions.baseRetryInterval} ms, maxRetries ${monqueOptions.maxRetries}`,
    );
    log.attach(monque);
    registerWorkers(monque, log, palette);
    await monque.start();
    log.line(palette.blue('STARTED '), 'the scheduler is running');
    board = new StatusBoard({ jobs: db.collection<Job>(monqueOptions.collectionName), out, palette, startedAt });
    board.start();
    scenario = await enqueueScenario(monque, log, palette);
    ending = once ? await waitForScenario(scenario) : await runEndlessly(monque);
    if (ending === 'finished') log.line(palette.green('DONE    '), 'every one-off job is completed or failed');
    if (ending === 'timeout') {
      log.line(
        palette.red('TIMEOUT '),
        `not every one-off job finished within ${ONCE_TIMEOUT_MS / 1000} s; stopping anyway`,
      );
    }
  } catch (error) {
    out.clearRegion();
    log.line(palette.red('ERROR   '), error instanceof Error ? (error.stack ?? error.message) : String(error));
  } finally {
    await shutDown({ client, monque, board, scenario, ending });
  }
  if (ending === 'error' || ending === 'timeout') return 1;
  if (ending === 'signal') return once ? 130 : 0;
  return 0;
}

async function shutDown(parts: {
  client: MongoClient | undefined;
  monque: Monque | undefined;
  board: StatusBoard | undefined;
  scenario: ScenarioJobs | undefined;
  ending: Ending | 'error';
}): Promise<void> {
  const { client, monque, board, scenario, ending } = parts;
  if (monque) {
    const running = log.runningJobs;
    const why = ending === 'signal' ? `${signal.received} received: ` : '';
    log.line(
      palette.yellow('STOPPING'),
      `${why}no new jobs are claimed; waiting for ${running.length} running job(s)` +
        (running.length > 0 ? ` (${running.map((job) => `${job.name} ${shortId(job._id)}`).join(', ')})` : '') +
        ` to finish, up to ${monqueOptions.shutdownTimeout / 1000} s`,
    );
    await monque.stop();
    log.line(palette.yellow('STOPPED '), 'the scheduler stopped gracefully');
    log.detach();
  }
  await board?.stop();
  if (client && backend) {
    try {
      const db = client.db(DATABASE);
      const jobs = await db.collection<Job>(monqueOptions.collectionName).find({}).toArray();
      for (const line of summarise(jobs, scenario, log, palette)) out.print(line);
      await removeDemoJobs(db, backend.source);
    } catch (error) {
      log.line(palette.red('ERROR   '), `could not summarise or clean up: ${(error as Error).message}`);
    }
    await client.close();
  }
  if (backend?.startedByDemo) {
    await backend.stop();
    log.line(palette.blue('BACKEND '), `stopped the server it started (${backend.source})`);
  }
  signal.dispose();
}

process.exitCode = await main();
