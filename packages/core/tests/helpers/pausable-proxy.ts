/**
 * A TCP proxy in front of the test database that a test can cut off and restore, to simulate a
 * lost connection (and its recovery) for one client without touching the shared backend.
 *
 * It also drops fire-and-forget requests (OP_MSG with `moreToCome`, e.g. the `endSessions` that
 * `MongoClient.close()` sends with `w: 0`): the embedded backend answers them anyway, and that
 * unexpected reply would shift the replies of the shared serialising relay for everyone.
 */
import net from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

const OP_MSG = 2013;
const MORE_TO_COME = 1 << 1;

/** Passes whole wire-protocol messages through, except OP_MSG requests flagged `moreToCome`. */
class FireAndForgetFilter extends Transform {
  private buffered: Buffer = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const length = this.buffered.readInt32LE(0);
      if (this.buffered.length < length) break;
      const message = this.buffered.subarray(0, length);
      this.buffered = this.buffered.subarray(length);
      const fireAndForget =
        message.length >= 20 && message.readInt32LE(12) === OP_MSG && (message.readUInt32LE(16) & MORE_TO_COME) !== 0;
      if (!fireAndForget) this.push(message);
    }
    callback();
  }
}

/** A running proxy. */
export interface PausableProxy {
  /** A MongoDB URI that reaches the database through this proxy. */
  readonly uri: string;
  /** Drops every open connection and refuses new ones until {@link PausableProxy.resume}. */
  pause(): void;
  /** Accepts and forwards connections again. */
  resume(): void;
  /** Closes the proxy and every connection. */
  close(): Promise<void>;
}

/**
 * Starts a proxy on a free local port forwarding to the host and port of `upstreamUri`
 * (a `mongodb://host:port/...` URI with one host).
 */
export async function startPausableProxy(upstreamUri: string): Promise<PausableProxy> {
  const upstream = new URL(upstreamUri);
  const upstreamHost = upstream.hostname;
  const upstreamPort = Number(upstream.port || 27017);
  const sockets = new Set<net.Socket>();
  let paused = false;

  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const server = net.createServer((client) => {
    if (paused) {
      client.destroy();
      return;
    }
    track(client);
    const target = net.connect({ host: upstreamHost, port: upstreamPort });
    track(target);
    client.pipe(new FireAndForgetFilter()).pipe(target);
    target.pipe(client);
    client.on('close', () => target.destroy());
    target.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy: no TCP address');
  // Same credentials and options as the upstream URI (a real server may need them), this host.
  const proxied = new URL(upstreamUri);
  proxied.host = `127.0.0.1:${address.port}`;
  proxied.searchParams.delete('replicaSet');
  proxied.searchParams.set('directConnection', 'true');
  const uri = proxied.toString();

  return {
    uri,
    pause() {
      paused = true;
      for (const socket of sockets) socket.destroy();
    },
    resume() {
      paused = false;
    },
    async close() {
      paused = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
