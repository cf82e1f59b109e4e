/**
 * One client connection through the fault proxy, paired with its own upstream connection.
 *
 * Requests go client → upstream, replies upstream → client, each through a queue that a blackhole
 * partition holds (nothing is lost: a real network retransmits once it heals). The proxy decides
 * per request what happens ({@link RequestDecision}); this class carries it out: a dropped request
 * resets the connection without forwarding; a request whose reply is to be lost is forwarded and
 * the connection is reset when that reply arrives (matched by `responseTo`); a delayed reply is
 * held for its delay, and replies behind it wait their turn so order is kept.
 */
import net from 'node:net';
import { isMoreToCome, MessageReader, requestIdOf, responseToOf } from './wire.js';

/** What the proxy decided for one request; `onForwarded` is called once it is written upstream. */
export type RequestDecision = (
  | { readonly action: 'forward' }
  | { readonly action: 'drop' }
  | { readonly action: 'lose-reply' }
  | { readonly action: 'delay-reply'; readonly ms: number }
) & { readonly onForwarded?: () => void };

interface QueuedRequest {
  readonly message: Buffer;
  readonly onForwarded: (() => void) | undefined;
}

/** What a connection asks of its proxy. */
export interface ConnectionHooks {
  /** Decides (and logs) a request; fire-and-forget requests are reported with `ignored: true`. */
  decide(connection: ProxiedConnection, message: Buffer, ignored: boolean): RequestDecision;
  /** Whether a blackhole partition holds all traffic now. */
  isBlackholed(): boolean;
  /** Called once when the connection is gone. */
  onClosed(connection: ProxiedConnection): void;
}

interface QueuedReply {
  readonly message: Buffer;
  readonly notBefore: number;
}

/** Sends a TCP reset where the platform allows it (a plain close otherwise). */
export function resetSocket(socket: net.Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

/** A client socket, its upstream socket and the queues between them. */
export class ProxiedConnection {
  private readonly upstream: net.Socket;
  private readonly toUpstream: QueuedRequest[] = [];
  private readonly toClient: QueuedReply[] = [];
  private readonly loseReplyOf = new Set<number>();
  private readonly delayReplyOf = new Map<number, number>();
  private replyTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    /** A number unique within its proxy, recorded in the command log. */
    readonly id: number,
    private readonly client: net.Socket,
    upstreamHost: string,
    upstreamPort: number,
    private readonly hooks: ConnectionHooks,
  ) {
    client.setNoDelay(true);
    this.upstream = net.connect({ host: upstreamHost, port: upstreamPort, noDelay: true });
    const requests = new MessageReader();
    const replies = new MessageReader();
    client.on('data', (chunk: Buffer) => this.guard(() => this.onRequests(requests.push(chunk))));
    this.upstream.on('data', (chunk: Buffer) => this.guard(() => this.onReplies(replies.push(chunk))));
    for (const socket of [client, this.upstream]) {
      socket.on('error', () => this.close());
      socket.on('close', () => this.close());
    }
  }

  /** Resets the client connection (TCP RST) and closes the upstream one. */
  reset(): void {
    resetSocket(this.client);
    this.close();
  }

  /** Sends whatever a blackhole held (call after the partition healed). */
  flush(): void {
    this.flushRequests();
    this.flushReplies();
  }

  private guard(work: () => void): void {
    try {
      work();
    } catch {
      // A malformed stream cannot be framed any more: reset, as a broken network would.
      this.reset();
    }
  }

  private onRequests(messages: Buffer[]): void {
    for (const message of messages) {
      if (this.closed) return;
      // Fire-and-forget requests are not forwarded: the embedded backend answers them anyway,
      // and that unexpected reply would shift the replies of its serialising relay.
      if (isMoreToCome(message)) {
        this.hooks.decide(this, message, true);
        continue;
      }
      const decision = this.hooks.decide(this, message, false);
      if (decision.action === 'drop') {
        this.reset();
        return;
      }
      const requestId = requestIdOf(message);
      if (decision.action === 'lose-reply') this.loseReplyOf.add(requestId);
      if (decision.action === 'delay-reply') this.delayReplyOf.set(requestId, decision.ms);
      this.toUpstream.push({ message, onForwarded: decision.onForwarded });
    }
    this.flushRequests();
  }

  private onReplies(messages: Buffer[]): void {
    for (const message of messages) {
      if (this.closed) return;
      const answers = responseToOf(message);
      if (this.loseReplyOf.delete(answers)) {
        this.reset();
        return;
      }
      const delay = this.delayReplyOf.get(answers) ?? 0;
      this.delayReplyOf.delete(answers);
      this.toClient.push({ message, notBefore: Date.now() + delay });
    }
    this.flushReplies();
  }

  private flushRequests(): void {
    if (this.closed || this.hooks.isBlackholed()) return;
    for (const { message, onForwarded } of this.toUpstream.splice(0)) {
      this.upstream.write(message);
      onForwarded?.();
    }
  }

  private flushReplies(): void {
    if (this.closed || this.hooks.isBlackholed() || this.replyTimer) return;
    while (this.toClient.length > 0) {
      const next = this.toClient[0] as QueuedReply;
      const wait = next.notBefore - Date.now();
      if (wait > 0) {
        this.replyTimer = setTimeout(() => {
          this.replyTimer = undefined;
          this.flushReplies();
        }, wait);
        return;
      }
      this.toClient.shift();
      this.client.write(next.message);
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.replyTimer);
    this.replyTimer = undefined;
    this.toUpstream.length = 0;
    this.toClient.length = 0;
    this.client.destroy();
    this.upstream.destroy();
    this.hooks.onClosed(this);
  }
}
