/**
 * A worker process: one scheduler (Monque or Agenda) on its own `MongoClient`, whose commands it
 * counts (driver command monitoring). It reports every handler start and every written outcome
 * to the parent, stamped with `Date.now()` of this process (one clock for all processes of the
 * machine), in batches every {@link FLUSH_MS}.
 *
 * Protocol (parent → child): `open`, `count` (reset and start counting), `start` (start
 * processing), `report` (stop counting; reply with the counts), `close` (stop and exit).
 */
import { MongoClient } from 'mongodb';
import { sleep } from '../bench-context.js';
import { CommandCounter, type CommandCounts, emptyCounts } from '../command-counter.js';
import {
  type BenchQueue,
  type FlowOptions,
  type JobPayload,
  loadLibrary,
  type QueueLibrary,
} from '../queues/bench-queue.js';
import { classifierFor } from '../queues/command-purposes.js';
import { reply, serveRequests } from './child-process.js';

/** Settings of a worker process. */
export interface WorkerProcessSettings {
  readonly library: QueueLibrary['label'];
  readonly uri: string;
  readonly dbName: string;
  readonly collection: string;
  readonly pollInterval: number;
  readonly concurrency: number;
  /** How long each handler takes (0: a no-op job). */
  readonly workMs: number;
  /** Monque's flow-control options of the worker (see `WorkerSpec.flow`). */
  readonly flow?: FlowOptions;
  /** Retry a failed job once, this many ms later (see `OpenOptions.retryOnceAfterMs`). */
  readonly retryOnceAfterMs?: number;
}

/** Messages from the parent. */
export type WorkerRequest =
  | ({ type: 'open' } & WorkerProcessSettings)
  | { type: 'count' }
  | { type: 'start' }
  | { type: 'report' }
  | { type: 'close' };

/** A handler start or a written outcome. */
export interface WorkerEvent {
  readonly kind: 'start' | 'completed' | 'retrying' | 'failed';
  /** The job's `_id`. */
  readonly id: string;
  /** The job's `data.seq`. */
  readonly seq: number;
  readonly attempt: number;
  /** `Date.now()` in this process. */
  readonly at: number;
}

/** Messages to the parent. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'counting' }
  | { type: 'started' }
  | { type: 'events'; events: WorkerEvent[] }
  | { type: 'report'; commands: CommandCounts };

/** How often buffered events are sent. */
const FLUSH_MS = 25;

let client: MongoClient | undefined;
let counter: CommandCounter | undefined;
let queue: BenchQueue | undefined;
let settings: WorkerProcessSettings | undefined;
let pending: WorkerEvent[] = [];
let flushTimer: NodeJS.Timeout | undefined;

function flush(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = undefined;
  if (pending.length === 0) return;
  const events = pending;
  pending = [];
  reply({ type: 'events', events } satisfies WorkerReply);
}

function record(event: WorkerEvent): void {
  pending.push(event);
  flushTimer ??= setTimeout(flush, FLUSH_MS);
}

async function work(payload: JobPayload, attempt: number): Promise<void> {
  if (settings && settings.workMs > 0) await sleep(settings.workMs);
  if (payload.failFirstAttempt && attempt === 1) throw new Error(`planned failure of job ${payload.seq}`);
}

async function handle(request: WorkerRequest): Promise<void> {
  switch (request.type) {
    case 'open': {
      settings = request;
      client = new MongoClient(request.uri, { monitorCommands: true });
      await client.connect();
      counter = new CommandCounter(client);
      const library = await loadLibrary(request.library);
      queue = await library.open(client.db(request.dbName), request.collection, {
        pollInterval: request.pollInterval,
        localWakeups: false,
        ...(request.retryOnceAfterMs === undefined ? {} : { retryOnceAfterMs: request.retryOnceAfterMs }),
      });
      reply({ type: 'ready' } satisfies WorkerReply);
      return;
    }
    case 'count':
      counter?.start(classifierFor(settings?.library ?? 'Monque'));
      reply({ type: 'counting' } satisfies WorkerReply);
      return;
    case 'start':
      if (!queue || !settings) throw new Error('start before open');
      await queue.startProcessing({
        concurrency: settings.concurrency,
        ...(settings.flow ? { flow: settings.flow } : {}),
        onHandlerStart: (payload, info) =>
          record({ kind: 'start', id: info.id, seq: payload.seq, attempt: info.attempt, at: Date.now() }),
        work: (payload, info) => work(payload, info.attempt),
        onJobDone: (payload, outcome, info) =>
          record({ kind: outcome, id: info.id, seq: payload.seq, attempt: info.attempt, at: Date.now() }),
      });
      reply({ type: 'started' } satisfies WorkerReply);
      return;
    case 'report': {
      const commands = counter?.stop() ?? emptyCounts();
      flush();
      reply({ type: 'report', commands } satisfies WorkerReply);
      return;
    }
    case 'close':
      flush();
      try {
        await queue?.close();
        await client?.close();
      } catch (error) {
        process.stderr.write(`worker process: close failed: ${String(error)}\n`);
      }
      // Agenda leaves a liveness timer per processed job (never cleared): leave without waiting for it.
      process.exit(0);
  }
}

serveRequests(handle);
