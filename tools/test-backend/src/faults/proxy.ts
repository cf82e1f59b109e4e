/**
 * A fault-injecting TCP proxy for ONE MongoClient (or one child process): put it between that
 * client and the test backend, and faults hit only that client, black-box.
 *
 * ```ts
 * const proxy = await startFaultProxy(getTestUri());
 * const client = await new MongoClient(proxy.uri, { retryWrites: false }).connect();
 * proxy.loseReply({ name: 'insert', collection: 'jobs' }); // applied by the server, client sees a reset
 * proxy.partition({ mode: 'blackhole', forMs: 3000 });       // nothing passes for 3 s
 * ```
 *
 * Each client connection gets its own upstream connection. Fault rules are checked per request in
 * the order they were added; the first rule that matches (and has uses left) applies, so one
 * request meets at most one rule. Fire-and-forget requests (OP_MSG `moreToCome`) are never
 * forwarded (the embedded backend would answer them and shift its relay's replies); they are
 * logged with `fault: 'fire-and-forget'`.
 */
import net from 'node:net';
import { type ConnectionHooks, ProxiedConnection, type RequestDecision, resetSocket } from './connection.js';
import { type CommandFilter, type CommandPredicate, toPredicate } from './predicates.js';
import { decodeRequest, type WireCommand } from './wire.js';

/** How a partition cuts the client off. */
export type PartitionMode =
  /** Open connections are reset (TCP RST) and new ones are reset as soon as they are accepted. */
  | 'reset'
  /**
   * Connections stay open and new ones are accepted, but nothing passes either way until it heals;
   * then all held traffic is delivered, as TCP retransmission would (a connection the client closed
   * meanwhile takes its held requests with it).
   */
  | 'blackhole';

/** Options of {@link FaultProxy.partition}. */
export interface PartitionOptions {
  /** See {@link PartitionMode}. */
  readonly mode: PartitionMode;
  /** Heal by itself after this many ms. @defaultValue until {@link FaultProxy.heal} */
  readonly forMs?: number;
}

/** Options of the per-request faults. */
export interface FaultOptions {
  /** How many matching requests the fault hits before it retires. `Infinity`: until cleared. @defaultValue 1 */
  readonly times?: number;
}

/** What happened to a logged request. */
export type FaultApplied = 'none' | 'dropped' | 'reply-lost' | 'reply-delayed' | 'fire-and-forget';

/** A request as the proxy saw it. */
export interface LoggedCommand extends WireCommand {
  /** When it arrived (`Date.now()`). */
  readonly at: number;
  /**
   * When it was written upstream: later than `at` while a blackhole held it; `undefined` while held,
   * and for good when it was dropped (or its connection closed first). The entry is updated in place.
   */
  readonly forwardedAt: number | undefined;
  /** Which client connection of this proxy sent it. */
  readonly connection: number;
  /** The fault applied to it. */
  readonly fault: FaultApplied;
}

/** A fault rule once armed. */
export interface FaultHandle {
  /** Requests it has hit so far. */
  readonly hits: number;
  /** `false` once it used up its `times` or was cancelled or cleared. */
  readonly active: boolean;
  /** Resolves with the first request it hits (never rejects; stays pending if it never hits). */
  readonly firstHit: Promise<WireCommand>;
  /** The last error its predicate threw (such a request counts as not matching). */
  readonly predicateError: unknown;
  /** Retires the rule. */
  cancel(): void;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** The command log keeps at most this many entries (the oldest go first). @defaultValue 10000 */
  readonly logLimit?: number;
  /** Only requests matching this are logged. @defaultValue every request */
  readonly logFilter?: CommandFilter;
}

/** A running fault proxy. */
export interface FaultProxy {
  /** The upstream URI with this proxy as its only host (same credentials and options), `directConnection=true`. */
  readonly uri: string;
  /** The local port (127.0.0.1). */
  readonly port: number;
  /** The partition in force, or `null`. */
  readonly partitioned: PartitionMode | null;
  /** Client connections open now. */
  readonly connectionCount: number;
  /** Cuts the client off (replacing any partition in force). */
  partition(options: PartitionOptions): void;
  /** Ends the partition; a blackhole delivers everything it held. */
  heal(): void;
  /** Resets every open connection once; new connections are accepted as usual. */
  resetConnections(): void;
  /** Forwards matching requests (the server APPLIES them), drops their replies and resets that connection. */
  loseReply(filter: CommandFilter, options?: FaultOptions): FaultHandle;
  /** Never forwards matching requests (NOT applied) and resets that connection. */
  dropRequest(filter: CommandFilter, options?: FaultOptions): FaultHandle;
  /**
   * Holds the replies of matching requests `ms` before passing them on (later replies on that
   * connection wait behind them, so order is kept).
   */
  delayReplies(filter: CommandFilter, ms: number, options?: FaultOptions): FaultHandle;
  /** Retires every per-request fault (a partition stays: see {@link FaultProxy.heal}). */
  clearFaults(): void;
  /** The requests seen, oldest first, optionally filtered. */
  commands(filter?: CommandFilter): LoggedCommand[];
  /** Empties the command log. */
  resetLog(): void;
  /** Closes the listener and every connection; heals and clears everything. */
  close(): Promise<void>;
}

type RuleKind = 'drop' | 'lose-reply' | 'delay-reply';

class FaultRule implements FaultHandle {
  hits = 0;
  predicateError: unknown;
  readonly firstHit: Promise<WireCommand>;
  private resolveFirst: (command: WireCommand) => void = () => {};
  private remaining: number;

  constructor(
    readonly kind: RuleKind,
    private readonly predicate: CommandPredicate,
    times: number,
    readonly delayMs: number,
    private readonly onRetired: (rule: FaultRule) => void,
  ) {
    this.remaining = times;
    this.firstHit = new Promise((resolve) => {
      this.resolveFirst = resolve;
    });
  }

  get active(): boolean {
    return this.remaining > 0;
  }

  /** Whether it applies to `command`; counts the hit when it does. */
  take(command: WireCommand): boolean {
    if (this.remaining <= 0) return false;
    let matches = false;
    try {
      matches = this.predicate(command);
    } catch (error) {
      this.predicateError = error;
    }
    if (!matches) return false;
    this.hits += 1;
    this.remaining -= 1;
    if (this.hits === 1) this.resolveFirst(command);
    if (this.remaining <= 0) this.onRetired(this);
    return true;
  }

  cancel(): void {
    if (this.remaining <= 0) return;
    this.remaining = 0;
    this.onRetired(this);
  }
}

function checkTimes(times: number | undefined): number {
  const value = times ?? 1;
  if (!(value >= 1) || (!Number.isInteger(value) && value !== Number.POSITIVE_INFINITY)) {
    throw new RangeError(`fault proxy: times must be a positive integer or Infinity, got ${String(times)}`);
  }
  return value;
}

function parseUpstream(upstreamUri: string): { host: string; port: number } {
  const match = /^mongodb:\/\/(?:[^@/]*@)?([^/?]+)/.exec(upstreamUri);
  if (!match?.[1])
    throw new Error('fault proxy: the upstream URI must be a mongodb:// URI (mongodb+srv is not supported)');
  if (match[1].includes(',')) throw new Error('fault proxy: the upstream URI must name exactly one host');
  const url = new URL(`mongodb://${match[1]}`);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 27017) };
}

function proxiedUri(upstreamUri: string, port: number): string {
  const url = new URL(upstreamUri);
  url.host = `127.0.0.1:${port}`;
  url.searchParams.delete('replicaSet');
  url.searchParams.set('directConnection', 'true');
  return url.toString();
}

/**
 * Starts a fault proxy on a free port of 127.0.0.1 in front of the single host of `upstreamUri`.
 * @throws Error when the URI is `mongodb+srv` or names several hosts
 */
export async function startFaultProxy(upstreamUri: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const upstream = parseUpstream(upstreamUri);
  const logLimit = options.logLimit ?? 10_000;
  const connections = new Set<ProxiedConnection>();
  let rules: FaultRule[] = [];
  let log: LoggedCommand[] = [];
  let partition: PartitionMode | null = null;
  let healTimer: NodeJS.Timeout | undefined;
  let nextConnectionId = 1;
  let closed = false;

  const logs = options.logFilter ? toPredicate(options.logFilter) : () => true;
  /** Logs the request (when the log filter wants it) and returns what marks it forwarded. */
  const record = (command: WireCommand, connection: number, fault: FaultApplied): (() => void) | undefined => {
    if (!logs(command)) return undefined;
    const entry: { -readonly [K in keyof LoggedCommand]: LoggedCommand[K] } = {
      ...command,
      at: Date.now(),
      forwardedAt: undefined,
      connection,
      fault,
    };
    log.push(entry);
    if (log.length > logLimit * 1.1) log = log.slice(log.length - logLimit);
    return () => {
      entry.forwardedAt = Date.now();
    };
  };

  const hooks: ConnectionHooks = {
    decide(connection, message, ignored): RequestDecision {
      const command = decodeRequest(message);
      if (ignored) {
        record(command, connection.id, 'fire-and-forget');
        return { action: 'drop' };
      }
      const rule = rules.find((candidate) => candidate.take(command));
      if (!rule) return { action: 'forward', onForwarded: record(command, connection.id, 'none') };
      if (rule.kind === 'drop') {
        record(command, connection.id, 'dropped');
        return { action: 'drop' };
      }
      if (rule.kind === 'lose-reply')
        return { action: 'lose-reply', onForwarded: record(command, connection.id, 'reply-lost') };
      return { action: 'delay-reply', ms: rule.delayMs, onForwarded: record(command, connection.id, 'reply-delayed') };
    },
    isBlackholed: () => partition === 'blackhole',
    onClosed: (connection) => connections.delete(connection),
  };

  const server = net.createServer((client) => {
    if (closed || partition === 'reset') {
      client.on('error', () => {});
      resetSocket(client);
      return;
    }
    connections.add(new ProxiedConnection(nextConnectionId++, client, upstream.host, upstream.port, hooks));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fault proxy: no TCP address');
  const port = address.port;

  const resetAll = (): void => {
    for (const connection of [...connections]) connection.reset();
  };
  const heal = (): void => {
    clearTimeout(healTimer);
    healTimer = undefined;
    partition = null;
    for (const connection of [...connections]) connection.flush();
  };
  const arm = (kind: RuleKind, filter: CommandFilter, times: number | undefined, delayMs = 0): FaultHandle => {
    const rule = new FaultRule(kind, toPredicate(filter), checkTimes(times), delayMs, (retired) => {
      rules = rules.filter((candidate) => candidate !== retired);
    });
    rules.push(rule);
    return rule;
  };

  return {
    uri: proxiedUri(upstreamUri, port),
    port,
    get partitioned() {
      return partition;
    },
    get connectionCount() {
      return connections.size;
    },
    partition({ mode, forMs }) {
      if (mode !== 'reset' && mode !== 'blackhole')
        throw new RangeError(`fault proxy: unknown partition mode ${String(mode)}`);
      if (forMs !== undefined && !(forMs >= 0)) throw new RangeError(`fault proxy: forMs must be >= 0, got ${forMs}`);
      clearTimeout(healTimer);
      healTimer = undefined;
      // A blackhole needs nothing more: connections consult the mode before every write.
      partition = mode;
      if (mode === 'reset') resetAll();
      if (forMs !== undefined) healTimer = setTimeout(heal, forMs);
    },
    heal,
    resetConnections: resetAll,
    loseReply: (filter, faultOptions) => arm('lose-reply', filter, faultOptions?.times),
    dropRequest: (filter, faultOptions) => arm('drop', filter, faultOptions?.times),
    delayReplies(filter, ms, faultOptions) {
      if (!(ms >= 0)) throw new RangeError(`fault proxy: delay must be >= 0 ms, got ${ms}`);
      return arm('delay-reply', filter, faultOptions?.times, ms);
    },
    clearFaults() {
      for (const rule of [...rules]) rule.cancel();
    },
    commands(filter) {
      if (!filter) return [...log];
      const predicate = toPredicate(filter);
      return log.filter((entry) => predicate(entry));
    },
    resetLog() {
      log = [];
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(healTimer);
      partition = null;
      for (const rule of [...rules]) rule.cancel();
      resetAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
