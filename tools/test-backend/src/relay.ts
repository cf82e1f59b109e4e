/**
 * A TCP relay that makes the embedded backend behave atomically.
 *
 * The embedded server runs commands from different connections concurrently
 * and without isolation (a `findOneAndUpdate` can hand one document to two
 * callers). Commands sent over ONE connection run one after another. This
 * relay accepts any number of client connections and funnels their requests
 * through a single upstream connection, one request at a time: it forwards a
 * request, waits for its reply, hands the reply to the connection that sent
 * the request, then forwards the next request.
 *
 * Wire format facts used here: every message starts with its total length
 * (int32 LE at offset 0); the opcode is at offset 12; for OP_MSG (2013) the
 * flag bits are at offset 16 and bit 1 (`moreToCome`) means no reply follows.
 */
import net from 'node:net';

const OP_MSG = 2013;
const MORE_TO_COME = 1 << 1;

/** A running relay. */
export interface SerialRelay {
  /** Port the relay listens on (127.0.0.1). */
  readonly port: number;
  /** Requests forwarded so far. */
  readonly forwarded: () => number;
  /** Close the listener, every client socket and the upstream connection. */
  close(): Promise<void>;
}

interface PendingRequest {
  readonly client: net.Socket;
  readonly message: Buffer;
}

/** Splits a byte stream into whole wire-protocol messages. */
class MessageReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const messages: Buffer[] = [];
    while (this.buffered.length >= 4) {
      const length = this.buffered.readInt32LE(0);
      if (this.buffered.length < length) break;
      messages.push(this.buffered.subarray(0, length));
      this.buffered = this.buffered.subarray(length);
    }
    return messages;
  }
}

function expectsReply(message: Buffer): boolean {
  if (message.length < 20) return true;
  const opCode = message.readInt32LE(12);
  return !(opCode === OP_MSG && (message.readUInt32LE(16) & MORE_TO_COME) !== 0);
}

/**
 * Starts a relay on a free port in front of `upstreamHost:upstreamPort`.
 */
export async function startSerialRelay(upstreamHost: string, upstreamPort: number): Promise<SerialRelay> {
  const upstream = net.connect({ host: upstreamHost, port: upstreamPort, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    upstream.once('connect', resolve);
    upstream.once('error', reject);
  });

  const queue: PendingRequest[] = [];
  const clients = new Set<net.Socket>();
  let inFlight: PendingRequest | null = null;
  let forwarded = 0;
  let closed = false;
  const upstreamReader = new MessageReader();

  const pump = (): void => {
    while (!inFlight && queue.length > 0) {
      const next = queue.shift() as PendingRequest;
      if (next.client.destroyed && expectsReply(next.message)) continue;
      forwarded += 1;
      upstream.write(next.message);
      if (expectsReply(next.message)) inFlight = next;
    }
  };

  upstream.on('data', (chunk: Buffer) => {
    for (const reply of upstreamReader.push(chunk)) {
      const request = inFlight;
      inFlight = null;
      if (request && !request.client.destroyed) request.client.write(reply);
    }
    pump();
  });
  upstream.on('error', () => {
    for (const client of clients) client.destroy();
  });
  upstream.on('close', () => {
    for (const client of clients) client.destroy();
  });

  const server = net.createServer((client) => {
    client.setNoDelay(true);
    clients.add(client);
    const reader = new MessageReader();
    client.on('data', (chunk: Buffer) => {
      for (const message of reader.push(chunk)) queue.push({ client, message });
      pump();
    });
    client.on('error', () => client.destroy());
    client.on('close', () => clients.delete(client));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('relay: no TCP address');

  return {
    port: address.port,
    forwarded: () => forwarded,
    async close() {
      if (closed) return;
      closed = true;
      for (const client of clients) client.destroy();
      upstream.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
