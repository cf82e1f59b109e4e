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
 * (int32 LE at offset 0), then `requestID` (offset 4) and `responseTo`
 * (offset 8); the opcode is at offset 12; for OP_MSG (2013) the flag bits are
 * at offset 16 and bit 1 (`moreToCome`) means the client expects no reply.
 *
 * Clients in different processes number their requests independently, and
 * the emulator sometimes replies to `moreToCome` messages anyway (e.g. the
 * `endSessions` a closing client sends). So the relay gives every forwarded
 * request its own `requestID`, hands a client only the reply whose
 * `responseTo` is the request in flight (restoring the client's id), and
 * drops any other reply.
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

interface InFlightRequest {
  readonly client: net.Socket;
  readonly clientRequestId: number;
  readonly relayRequestId: number;
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
  let inFlight: InFlightRequest | null = null;
  let forwarded = 0;
  let nextRequestId = 1;
  let closed = false;
  const upstreamReader = new MessageReader();

  const pump = (): void => {
    while (!inFlight && queue.length > 0) {
      const next = queue.shift() as PendingRequest;
      if (next.client.destroyed && expectsReply(next.message)) continue;
      forwarded += 1;
      const clientRequestId = next.message.readInt32LE(4);
      const relayRequestId = nextRequestId;
      nextRequestId = nextRequestId >= 0x7fffffff ? 1 : nextRequestId + 1;
      const message = Buffer.from(next.message);
      message.writeInt32LE(relayRequestId, 4);
      upstream.write(message);
      if (expectsReply(message)) inFlight = { client: next.client, clientRequestId, relayRequestId };
    }
  };

  upstream.on('data', (chunk: Buffer) => {
    for (const reply of upstreamReader.push(chunk)) {
      const request = inFlight;
      // A reply to nothing in flight (e.g. to a `moreToCome` message) is dropped.
      if (!request || reply.length < 16 || reply.readInt32LE(8) !== request.relayRequestId) continue;
      inFlight = null;
      const restored = Buffer.from(reply);
      restored.writeInt32LE(request.clientRequestId, 8);
      if (!request.client.destroyed) request.client.write(restored);
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
