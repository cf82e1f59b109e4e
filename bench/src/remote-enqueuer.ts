/**
 * A separate process that enqueues jobs when told to (the "other process" of the pickup latency
 * scenario). Started by `RemoteEnqueuer` with `fork`; speaks a tiny IPC protocol:
 * parent → `{ type: 'open', ... }`, `{ type: 'enqueue', seq }`, `{ type: 'close' }`;
 * child → `{ type: 'ready' }`, `{ type: 'enqueued', seq }`, `{ type: 'failed', message }`.
 */
import { MongoClient } from 'mongodb';
import { type BenchQueue, loadLibrary, type QueueLibrary } from './queues/bench-queue.js';

/** Messages from the parent. */
export type EnqueuerRequest =
  | { type: 'open'; uri: string; dbName: string; collection: string; library: QueueLibrary['label'] }
  | { type: 'enqueue'; seq: number }
  | { type: 'close' };

/** Messages to the parent. */
export type EnqueuerReply = { type: 'ready' } | { type: 'enqueued'; seq: number } | { type: 'failed'; message: string };

function reply(message: EnqueuerReply): void {
  process.send?.(message);
}

let client: MongoClient | undefined;
let queue: BenchQueue | undefined;

async function handle(request: EnqueuerRequest): Promise<void> {
  if (request.type === 'open') {
    client = new MongoClient(request.uri);
    await client.connect();
    const library = await loadLibrary(request.library);
    queue = await library.open(client.db(request.dbName), request.collection, {
      pollInterval: 1000,
      localWakeups: false,
    });
    reply({ type: 'ready' });
  } else if (request.type === 'enqueue') {
    if (!queue) throw new Error('enqueue before open');
    await queue.enqueue({ seq: request.seq, enqueuedAt: Date.now() });
    reply({ type: 'enqueued', seq: request.seq });
  } else {
    await queue?.close();
    await client?.close();
    process.disconnect?.();
  }
}

process.on('message', (request: EnqueuerRequest) => {
  handle(request).catch((error: unknown) => {
    reply({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  });
});
