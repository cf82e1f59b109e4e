/**
 * A bare wire-protocol client for tests that need control over TCP chunking: builds OP_MSG
 * requests and collects the replies of one socket.
 */
import net from 'node:net';
import { BSON, type Document } from 'mongodb';
import { MessageReader, responseToOf } from '../src/faults/wire.js';

/** Builds an OP_MSG: one kind-0 body, optional kind-1 sequences, optional `moreToCome`. */
export function opMsg(
  requestId: number,
  body: Document,
  { sequences = {}, moreToCome = false }: { sequences?: Record<string, Document[]>; moreToCome?: boolean } = {},
): Buffer {
  const parts: Uint8Array[] = [Buffer.from([0]), BSON.serialize(body)];
  for (const [identifier, docs] of Object.entries(sequences)) {
    const payload = Buffer.concat([Buffer.from(`${identifier}\0`), ...docs.map((doc) => BSON.serialize(doc))]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + payload.length, 0);
    parts.push(Buffer.from([1]), size, payload);
  }
  const sections = Buffer.concat(parts);
  const header = Buffer.alloc(20);
  header.writeInt32LE(20 + sections.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(2013, 12);
  header.writeUInt32LE(moreToCome ? 1 << 1 : 0, 16);
  return Buffer.concat([header, sections]);
}

/** A reply: which request it answers and its body. */
export interface RawReply {
  readonly responseTo: number;
  readonly body: Document;
}

/** A connected socket and the replies received on it so far. */
export interface RawWireClient {
  readonly socket: net.Socket;
  readonly replies: RawReply[];
  /** Resolves once at least `count` replies arrived (rejects after `timeoutMs` or when the socket closes first). */
  waitForReplies(count: number, timeoutMs?: number): Promise<RawReply[]>;
  close(): void;
}

/** Connects to `port` on 127.0.0.1. */
export async function connectRaw(port: number): Promise<RawWireClient> {
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const replies: RawReply[] = [];
  const reader = new MessageReader();
  let closed = false;
  let notify = (): void => {};
  socket.on('data', (chunk: Buffer) => {
    for (const message of reader.push(chunk)) {
      replies.push({ responseTo: responseToOf(message), body: BSON.deserialize(message.subarray(21)) });
    }
    notify();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    notify();
  });
  return {
    socket,
    replies,
    waitForReplies(count, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${replies.length} of ${count} replies`)), timeoutMs);
        notify = () => {
          if (replies.length >= count) {
            clearTimeout(timer);
            resolve(replies);
          } else if (closed) {
            clearTimeout(timer);
            reject(new Error(`socket closed after ${replies.length} of ${count} replies`));
          }
        };
        notify();
      });
    },
    close: () => socket.destroy(),
  };
}
