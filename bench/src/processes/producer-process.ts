/**
 * The steady-load producer: a process that offers jobs at a fixed rate for a fixed time through
 * one library's public `enqueue`, open loop (a call is made when its time comes, whether or not
 * earlier calls have returned), on its own `MongoClient` whose commands it counts.
 *
 * Protocol (parent → child): `open`, `count`, `go` (offer the whole window; reply `offered`),
 * `report` (stop counting; reply with the counts), `close`.
 */
import { MongoClient } from 'mongodb';
import { sleep } from '../bench-context.js';
import { CommandCounter, type CommandCounts, emptyCounts } from '../command-counter.js';
import { type BenchQueue, loadLibrary, type QueueLibrary } from '../queues/bench-queue.js';
import { classifierFor } from '../queues/command-purposes.js';
import { percentile } from '../stats.js';
import { reply, serveRequests } from './child-process.js';
import { jobOf, type OfferPlan, offeredJobs, offerTime } from './offer-plan.js';

/** One offered job: `[seq, enqueuedAt, dueAt or 0, resolvedAt or 0 when the call failed]`. */
export type OfferedJob = [seq: number, enqueuedAt: number, dueAt: number, resolvedAt: number];

/** What the producer did in its window. */
export interface OfferSummary {
  /** `Date.now()` when the window started and when it was due to end. */
  readonly windowStart: number;
  readonly windowEnd: number;
  /** Calls made, and calls made within the window. */
  readonly offered: number;
  readonly offeredInWindow: number;
  /** Calls that resolved, and those that resolved within the window. */
  readonly enqueued: number;
  readonly enqueuedInWindow: number;
  readonly errors: number;
  readonly firstError?: string;
  /** Calls still in flight when the producer stopped waiting for them. */
  readonly unsettled: number;
  /** How long `enqueue` calls took (ms). */
  readonly callMs: { p50: number; p99: number; max: number };
  /** How late calls were made against their schedule (ms; the producer's own lag). */
  readonly lateMs: { p99: number; max: number };
  readonly maxInFlight: number;
  readonly jobs: OfferedJob[];
}

/** Messages from the parent. */
export type ProducerRequest =
  | {
      type: 'open';
      library: QueueLibrary['label'];
      uri: string;
      dbName: string;
      collection: string;
      plan: OfferPlan;
      /** After the window, how long to wait for calls still in flight before reporting them as not enqueued. */
      settleMs: number;
    }
  | { type: 'count' }
  | { type: 'go' }
  | { type: 'report' }
  | { type: 'close' };

/** Messages to the parent. */
export type ProducerReply =
  | { type: 'ready' }
  | { type: 'counting' }
  | { type: 'offered'; summary: OfferSummary }
  | { type: 'report'; commands: CommandCounts };

let client: MongoClient | undefined;
let counter: CommandCounter | undefined;
let queue: BenchQueue | undefined;
let plan: OfferPlan | undefined;
let settleMs = 30_000;
let label: QueueLibrary['label'] = 'Monque';

async function offer(target: BenchQueue, offerPlan: OfferPlan, settleLimitMs: number): Promise<OfferSummary> {
  const total = offeredJobs(offerPlan);
  const jobs: OfferedJob[] = [];
  const calls: Promise<void>[] = [];
  const callMs: number[] = [];
  const lateMs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let inFlight = 0;
  let maxInFlight = 0;
  const windowStart = Date.now();
  const origin = performance.now();
  for (let seq = 0; seq < total; seq += 1) {
    const wait = origin + offerTime(offerPlan, seq) - performance.now();
    if (wait > 1) await sleep(wait);
    lateMs.push(Math.max(0, performance.now() - origin - offerTime(offerPlan, seq)));
    const now = Date.now();
    const { payload, runAt } = jobOf(offerPlan, seq, now);
    const entry: OfferedJob = [seq, now, payload.dueAt ?? 0, 0];
    jobs.push(entry);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const calledAt = performance.now();
    calls.push(
      target.enqueue(payload, runAt ? { runAt } : {}).then(
        () => {
          entry[3] = Date.now();
          callMs.push(performance.now() - calledAt);
          inFlight -= 1;
        },
        (error: unknown) => {
          errors += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
          inFlight -= 1;
        },
      ),
    );
  }
  const settled = Promise.all(calls).then(() => true);
  if (!(await Promise.race([settled, sleep(settleLimitMs).then(() => false)]))) {
    process.stderr.write(`producer: ${inFlight} enqueue calls still in flight ${settleLimitMs} ms after the window\n`);
  }
  const windowEnd = windowStart + offerPlan.seconds * 1000;
  return {
    windowStart,
    windowEnd,
    offered: jobs.length,
    offeredInWindow: jobs.filter(([, at]) => at <= windowEnd).length,
    enqueued: jobs.filter(([, , , resolvedAt]) => resolvedAt > 0).length,
    enqueuedInWindow: jobs.filter(([, , , resolvedAt]) => resolvedAt > 0 && resolvedAt <= windowEnd).length,
    errors,
    unsettled: inFlight,
    ...(firstError === undefined ? {} : { firstError }),
    callMs: { p50: percentile(callMs, 50), p99: percentile(callMs, 99), max: Math.max(0, ...callMs) },
    lateMs: { p99: percentile(lateMs, 99), max: Math.max(0, ...lateMs) },
    maxInFlight,
    jobs,
  };
}

async function handle(request: ProducerRequest): Promise<void> {
  switch (request.type) {
    case 'open': {
      plan = request.plan;
      settleMs = request.settleMs;
      label = request.library;
      client = new MongoClient(request.uri, { monitorCommands: true });
      await client.connect();
      counter = new CommandCounter(client);
      const library = await loadLibrary(request.library);
      queue = await library.open(client.db(request.dbName), request.collection, {
        pollInterval: 1000,
        localWakeups: false,
      });
      // First-use costs (index creation) stay out of the window: one throw-away job, then deleted.
      await queue.enqueue({ seq: -1, enqueuedAt: Date.now() }, { runAt: new Date(Date.now() + 3_600_000) });
      await client.db(request.dbName).collection(request.collection).deleteMany({ 'data.seq': -1 });
      reply({ type: 'ready' } satisfies ProducerReply);
      return;
    }
    case 'count':
      counter?.start(classifierFor(label));
      reply({ type: 'counting' } satisfies ProducerReply);
      return;
    case 'go':
      if (!queue || !plan) throw new Error('go before open');
      reply({ type: 'offered', summary: await offer(queue, plan, settleMs) } satisfies ProducerReply);
      return;
    case 'report':
      reply({
        type: 'report',
        commands: counter?.stop() ?? emptyCounts(),
      } satisfies ProducerReply);
      return;
    case 'close':
      try {
        await queue?.close();
        await client?.close();
      } catch (error) {
        process.stderr.write(`producer process: close failed: ${String(error)}\n`);
      }
      process.exit(0);
  }
}

serveRequests(handle);
