/**
 * One Monque instance of a chaos run, in its own process (started by `main.ts`, never by hand).
 *
 * It reaches the database through its fault proxy, registers a worker per job kind, declares the
 * schedules, and records every handler run in its ledger collection through a second client that
 * bypasses the proxy. It reports events to the orchestrator over IPC, stops on `{ type: 'stop' }`,
 * and exits at once if the orchestrator goes away.
 */
import { randomUUID } from 'node:crypto';
import { MongoClient, type ObjectId } from 'mongodb';
import { type CoreJob, loadMonque, type MonqueInstance } from './core.js';
import {
  ATTEMPTS_COLLECTION,
  type ChaosJobData,
  ENGINE,
  type InstanceConfig,
  type InstanceMessage,
  type LedgerRun,
  type OrchestratorMessage,
  SCHEDULES,
  WORKERS,
} from './settings.js';

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
process.on('disconnect', () => process.exit(3));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const firstLine = (value: unknown): string =>
  (value instanceof Error ? `${value.name}: ${value.message}` : String(value)).split('\n')[0] ?? '';
// As Node does by default: an unhandled rejection is a crash (the orchestrator reports it, check 7).
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`unhandled rejection: ${firstLine(reason)}\n`);
  process.exit(70);
});

async function main(): Promise<void> {
  const ledgerClient = await new MongoClient(settings.directUri).connect();
  const ledgerDb = ledgerClient.db(settings.dbName);
  const ledger = ledgerDb.collection<LedgerRun>(settings.ledger);
  const attempts = ledgerDb.collection<{ _id: ObjectId; n: number }>(ATTEMPTS_COLLECTION);
  const client = new MongoClient(settings.proxiedUri, { serverSelectionTimeoutMS: 5_000 });
  const Monque = await loadMonque(settings.corePath);
  const clock = settings.skewMs === 0 ? undefined : { now: () => new Date(Date.now() + settings.skewMs) };
  const monque: MonqueInstance = new Monque(client.db(settings.dbName), {
    ...ENGINE,
    instanceId: settings.instanceId,
    ...(clock ? { clock } : {}),
  });

  const handler = async (job: CoreJob): Promise<void> => {
    const start = new Date();
    const runId = randomUUID();
    await ledger.insertOne({
      _id: runId,
      jobId: job._id,
      name: job.name,
      instanceId: settings.instanceId,
      pid: process.pid,
      start,
    });
    let outcome: 'ok' | 'threw' = 'ok';
    try {
      const data = job.data as ChaosJobData;
      const attempt = await attempts.findOneAndUpdate(
        { _id: job._id },
        { $inc: { n: 1 } },
        { upsert: true, returnDocument: 'after' },
      );
      await sleep(data.ms);
      if (data.kind === 'always-failing') throw new Error('always fails');
      if (data.kind === 'failing' && (attempt?.n ?? 1) <= (data.failTimes ?? 0)) {
        throw new Error(`fails on attempt ${attempt?.n} of the first ${data.failTimes}`);
      }
    } catch (error) {
      outcome = 'threw';
      throw error;
    } finally {
      await ledger.updateOne({ _id: runId }, { $set: { end: new Date(), outcome } });
    }
  };
  for (const { name, concurrency } of Object.values(WORKERS)) monque.worker(name, handler, { concurrency });
  monque.on('job:recovered', (payload) => {
    const job = (payload as { job?: { _id?: unknown; owner?: unknown; lockedAt?: unknown } } | undefined)?.job;
    const lockedAt = job?.lockedAt instanceof Date ? job.lockedAt.getTime() : null;
    send({ type: 'recovered', jobId: String(job?._id), owner: String(job?.owner ?? ''), lockedAt });
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

  // Start (and declare the schedules) even if the network is partitioned right now: retry for a minute.
  const deadline = Date.now() + 60_000;
  const retrying = async (what: string, work: () => Promise<unknown>): Promise<void> => {
    for (;;) {
      try {
        await work();
        return;
      } catch (error) {
        send({ type: 'event', event: `${what} failed`, detail: firstLine(error) });
        if (Date.now() > deadline) throw error;
        await sleep(500);
      }
    }
  };
  await retrying('start', () => monque.start());
  for (const schedule of SCHEDULES) {
    await retrying('schedule', () =>
      monque.schedule(schedule.cron, WORKERS.recurring.name, schedule.data, { uniqueKey: schedule.uniqueKey }),
    );
  }
  send({ type: 'ready', at: Date.now() });

  process.on('message', (message: OrchestratorMessage) => {
    if (message.type !== 'stop') return;
    void (async () => {
      await monque.stop();
      send({ type: 'stopped', at: Date.now() });
      await Promise.race([Promise.all([client.close(), ledgerClient.close()]), sleep(2_000)]);
      process.exit(0);
    })().catch((error: unknown) => {
      send({ type: 'event', event: 'stop failed', detail: firstLine(error) });
      process.exit(1);
    });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `instance ${settings.instanceId} failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
