/**
 * One Monque instance of a chaos run, in its own process (started by `main.ts`, never by hand).
 *
 * It reaches the database through its fault proxy, registers a worker per job kind (the last slot
 * none for the always-failing jobs), declares the schedules, and records every handler run in its
 * ledger collection through a second client that bypasses the proxy. Handlers return which run
 * succeeded (stored as the job's `result`) and stop when their `signal` aborts, except stubborn
 * ones. It reports events to the orchestrator over IPC, stops on `{ type: 'stop' }` and then must
 * exit by itself once its clients are closed (a timer or socket left behind by `stop()` is reported
 * with exit code 4), and exits at once if the orchestrator goes away.
 */
import { createHook } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { MongoClient, type ObjectId } from 'mongodb';
import { type CoreJob, type HandlerContext, loadCore, type MonqueInstance } from './core.js';
import { HUNG_AFTER_STOP, type InstanceConfig, type InstanceMessage, type OrchestratorMessage } from './messages.js';
import {
  ALWAYS_FAILING_POLICY,
  ATTEMPTS_COLLECTION,
  type ChaosJobData,
  type ChaosResult,
  ENGINE,
  FLOW_LIMITS,
  type JobKind,
  type LedgerRun,
  SCHEDULES,
  WORKERS,
} from './settings.js';

/** How long a stopped instance may take to exit by itself. */
const EXIT_GRACE_MS = 5_000;

const config = JSON.parse(process.argv[2] ?? 'null') as InstanceConfig | null;
if (!config || typeof process.send !== 'function') {
  process.stderr.write('tools/chaos/instance.ts is started by tools/chaos/main.ts (npm run chaos)\n');
  process.exit(2);
}
const settings: InstanceConfig = config;

const send = (message: InstanceMessage): void => {
  if (process.connected) process.send?.(message);
};
// The orchestrator is gone (killed, or crashed): nothing may be left behind.
const orphaned = (): never => process.exit(3);
process.on('disconnect', orphaned);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Handlers entered and not yet returned (reported when the process does not exit after stop()). */
let running = 0;
const timers = watchTimers();

/**
 * The handler's work: `ms` of waiting that ends early, rejecting with the signal's reason, when
 * `signal` aborts. Its timer does not keep the process alive (a stopped instance must exit).
 */
function work(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    if (!signal) return;
    const abort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
  });
}
const firstLine = (value: unknown): string =>
  (value instanceof Error ? `${value.name}: ${value.message}` : String(value)).split('\n')[0] ?? '';
// As Node does by default: an unhandled rejection is a crash (the orchestrator reports it, check 7).
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`unhandled rejection: ${firstLine(reason)}\n`);
  process.exit(70);
});

/**
 * Reports every stall of this process's event loop longer than 500 ms (a loaded machine can starve
 * it): while stalled, no heartbeat can renew a lock, which the checker must know to tell a lock
 * that expired through no fault of the engine from one it let lapse.
 */
function reportStalls(): void {
  let last = Date.now();
  setInterval(() => {
    const now = Date.now();
    if (now - last > 500) send({ type: 'stall', from: last, to: now });
    last = now;
  }, 100).unref();
}

async function main(): Promise<void> {
  reportStalls();
  const ledgerClient = await new MongoClient(settings.directUri).connect();
  const ledgerDb = ledgerClient.db(settings.dbName);
  const ledger = ledgerDb.collection<LedgerRun>(settings.ledger);
  const attempts = ledgerDb.collection<{ _id: ObjectId; n: number }>(ATTEMPTS_COLLECTION);
  // Told to stop before it is ready (the run went quiet meanwhile): nothing has started, exit.
  const stopWhileStarting = (message: OrchestratorMessage): void => {
    if (message.type === 'stop') process.exit(0);
  };
  process.on('message', stopWhileStarting);
  // Connect (and start, and declare the schedules) even if the network is partitioned right now:
  // retry for a minute. A client whose first connection failed is closed for good (the driver), so
  // each attempt connects a new one, as the docs ask: Monque is given a connected client.
  const deadline = Date.now() + 60_000;
  const retrying = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await work();
      } catch (error) {
        send({ type: 'event', event: `${what} failed`, detail: firstLine(error) });
        if (Date.now() > deadline) throw error;
        await sleep(500);
      }
    }
  };
  const client = await retrying('connect', async () => {
    const candidate = new MongoClient(settings.proxiedUri, { serverSelectionTimeoutMS: 5_000 });
    return candidate.connect().catch(async (error: unknown) => {
      await candidate.close().catch(() => {});
      throw error;
    });
  });
  const { Monque, RateLimitError } = await loadCore(settings.corePath);
  const clock = settings.skewMs === 0 ? undefined : { now: () => new Date(Date.now() + settings.skewMs) };
  const monque: MonqueInstance = new Monque(client.db(settings.dbName), {
    ...ENGINE,
    instanceId: settings.instanceId,
    ...(clock ? { clock } : {}),
  });

  const handler = async (job: CoreJob, { signal }: HandlerContext): Promise<ChaosResult> => {
    running += 1;
    const start = new Date();
    const runId = randomUUID();
    const data = job.data as ChaosJobData;
    await ledger.insertOne({
      _id: runId,
      jobId: job._id,
      name: job.name,
      instanceId: settings.instanceId,
      pid: process.pid,
      ...(data.ref === undefined ? {} : { ref: data.ref }),
      ...(job.group === undefined ? {} : { group: job.group }),
      start,
      ...(job.lockedAt instanceof Date ? { claimedAt: job.lockedAt } : {}),
    });
    let outcome: 'ok' | 'threw' = 'ok';
    let retryAfterMs: number | undefined;
    try {
      const attempt = await attempts.findOneAndUpdate(
        { _id: job._id },
        { $inc: { n: 1 } },
        { upsert: true, returnDocument: 'after' },
      );
      await work(data.ms, data.stubborn ? undefined : signal);
      if (data.kind === 'always-failing') throw new Error('always fails');
      if (data.rateLimitMs !== undefined && (attempt?.n ?? 1) === 1) {
        retryAfterMs = data.rateLimitMs;
        throw new RateLimitError(data.rateLimitMs);
      }
      if (data.kind === 'failing' && (attempt?.n ?? 1) <= (data.failTimes ?? 0)) {
        throw new Error(`fails on attempt ${attempt?.n} of the first ${data.failTimes}`);
      }
      return { run: runId };
    } catch (error) {
      outcome = 'threw';
      throw error;
    } finally {
      running -= 1;
      const end = new Date();
      await ledger.updateOne(
        { _id: runId },
        { $set: { end, outcome, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) } },
      );
    }
  };
  for (const [kind, { name, concurrency }] of Object.entries(WORKERS)) {
    const limits = FLOW_LIMITS[kind as JobKind];
    if (kind !== 'always-failing') monque.worker(name, handler, { concurrency, ...limits });
    else if (!settings.withoutAlwaysFailing) monque.worker(name, handler, { concurrency, ...ALWAYS_FAILING_POLICY });
  }
  monque.on('job:recovered', (payload) => {
    const job = (payload as { job?: { _id?: unknown; owner?: unknown; lockedAt?: unknown } } | undefined)?.job;
    const lockedAt = job?.lockedAt instanceof Date ? job.lockedAt.getTime() : null;
    send({ type: 'recovered', jobId: String(job?._id), owner: String(job?.owner ?? ''), lockedAt });
  });
  monque.on('job:error', (payload) => {
    const error = (payload as { error?: { name?: string; incompleteJobs?: { _id: unknown }[] } } | undefined)?.error;
    if (error?.name !== 'ShutdownTimeoutError' || !Array.isArray(error.incompleteJobs)) return;
    send({ type: 'shutdown-timeout', at: Date.now(), jobIds: error.incompleteJobs.map((job) => String(job._id)) });
  });
  for (const event of ['job:error', 'job:recovered', 'wakeup:fallback']) {
    monque.on(event, (payload) => {
      const detail = (payload as { error?: unknown; reason?: string; job?: { name?: string } } | undefined) ?? {};
      send({
        type: 'event',
        event,
        detail: detail.error ? firstLine(detail.error) : (detail.reason ?? detail.job?.name ?? ''),
      });
    });
  }

  await retrying('start', () => monque.start());
  for (const schedule of SCHEDULES) {
    await retrying('schedule', () =>
      monque.schedule(schedule.cron, WORKERS.recurring.name, schedule.data, { uniqueKey: schedule.uniqueKey }),
    );
  }
  send({ type: 'ready', at: Date.now() });

  process.off('message', stopWhileStarting);
  let stopping = false;
  process.on('message', (message: OrchestratorMessage) => {
    // One stop: a second request (the orchestrator's, overlapping) must not stop it twice.
    if (message.type !== 'stop' || stopping) return;
    stopping = true;
    timers.stopBegan();
    void (async () => {
      await monque.stop();
      send({ type: 'stopped', at: Date.now() });
      await Promise.all([client.close(), ledgerClient.close()]);
      // Nothing of Monque's may keep the process alive now: let it exit by itself (stubborn
      // handlers still working are cut off, as at any process exit).
      process.off('disconnect', orphaned);
      process.disconnect();
      setTimeout(() => {
        // What keeps it alive (this timer is one Timeout; unref'd handler timers may be listed too).
        const active = new Map<string, number>();
        for (const resource of process.getActiveResourcesInfo()) active.set(resource, (active.get(resource) ?? 0) + 1);
        const listed = [...active].map(([resource, n]) => `${resource} x${n}`).join(', ');
        process.stderr.write(
          `still alive ${EXIT_GRACE_MS} ms after stop() resolved and the clients closed (active: ${listed}; handlers still running: ${running}; ${timers.describe()})\n`,
        );
        process.exit(HUNG_AFTER_STOP);
      }, EXIT_GRACE_MS).unref();
    })().catch((error: unknown) => {
      send({ type: 'event', event: 'stop failed', detail: firstLine(error) });
      process.exit(1);
    });
  });
}

/**
 * Remembers where each timer still pending was created (the first frames outside Node and this
 * file), so an instance that does not exit after `stop()` can say which ref'd timers keep it: the
 * ones Monque or the driver left. Timers are watched from the start (a retry timer may be armed
 * before `stop()`), with a short stack each.
 */
function watchTimers(): { stopBegan(): void; describe(): string } {
  const pending = new Map<number, { timer: { hasRef?: () => boolean; _idleTimeout?: number }; where: string }>();
  let stopAt = 0;
  const hook = createHook({
    init(asyncId, type, _trigger, resource) {
      if (type !== 'Timeout') return;
      const frames = (new Error().stack ?? '').split('\n').slice(1);
      const where = frames
        .filter((frame) => !frame.includes('node:') && !frame.includes('tools/chaos/instance.ts'))
        .slice(0, 3)
        .map((frame) => frame.trim().replace(/^at /, ''))
        .join(' < ');
      pending.set(asyncId, { timer: resource as { hasRef?: () => boolean }, where: where || 'node internals' });
    },
    destroy(asyncId) {
      pending.delete(asyncId);
    },
  });
  hook.enable();
  return {
    stopBegan() {
      stopAt = Date.now();
    },
    describe() {
      const held = [...pending.values()].filter(({ timer }) => timer.hasRef?.() ?? true);
      const lines = held.map(({ timer, where }) => `${timer._idleTimeout ?? '?'} ms timer from ${where}`);
      return `ref'd timers (stop began ${Date.now() - stopAt} ms ago): ${lines.length ? lines.join(' | ') : 'none'}`;
    },
  };
}

main().catch((error: unknown) => {
  process.stderr.write(
    `instance ${settings.instanceId} failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
