/**
 * What the producer and operator processes share: their config, a Monque that is never started
 * (it only calls public methods) reaching the database through the client's fault proxy, and the
 * recording of every call (what it returned or threw, and when) sent to the orchestrator as
 * evidence. On `{ type: 'stop' }` a client finishes what it was asked, reports `stopped`, closes
 * its connection and exits.
 */
import { MongoClient } from 'mongodb';
import { loadMonque, type MonqueInstance } from './core.js';
import type { CallRecord, ClientConfig, ClientMessage, ClientMethod, ClientOrder } from './messages.js';
import { CLIENT_OPERATION_TIMEOUT } from './settings.js';

/** Calls of one order or action are retried for this long before it is given up. */
export const GIVE_UP_AFTER_MS = 30_000;
/** Wait between two attempts of one call. */
const RETRY_DELAY_MS = 300;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** `Name: first line of the message` of an error. */
export const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);

/** The outcome of one recorded call. */
export type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** A started client process: its Monque, its MongoClient, and how it records calls. */
export interface ClientKit {
  readonly config: ClientConfig;
  readonly monque: MonqueInstance;
  readonly client: MongoClient;
  send(message: ClientMessage): void;
  /** Runs `call` once and records it (`summary` turns what it resolved with into `returned`). */
  attempt<T>(
    method: ClientMethod,
    fields: Omit<CallRecord, 'client' | 'method' | 'start' | 'end' | 'returned' | 'error'>,
    call: () => Promise<T>,
    summary: (value: T) => CallRecord['returned'],
  ): Promise<Attempt<T>>;
  /**
   * Attempts `call` until it resolves, it throws an error that trying again cannot change (a
   * `JobStateError`, an `InvalidArgumentError`), or {@link GIVE_UP_AFTER_MS} passed.
   */
  untilSettled<T>(
    method: ClientMethod,
    fields: Omit<CallRecord, 'client' | 'method' | 'start' | 'end' | 'returned' | 'error'>,
    call: () => Promise<T>,
    summary: (value: T) => CallRecord['returned'],
  ): Promise<Attempt<T>>;
  /** Keeps the process until `work` is done (stop waits for it). */
  track(work: Promise<unknown>): void;
}

/** Errors a retry cannot change: the operator's call was refused for what it asked. */
function isDefinitive(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return name === 'JobStateError' || name === 'InvalidArgumentError';
}

/**
 * Starts a client process: reads its config, connects through its proxy (with `monitorCommands`,
 * for the producers' evidence of what was sent), and calls `onOrder` for each order.
 */
export async function startClient(
  script: string,
  onOrder: (kit: ClientKit, order: ClientOrder) => void,
): Promise<ClientKit> {
  const config = JSON.parse(process.argv[2] ?? 'null') as ClientConfig | null;
  if (!config || typeof process.send !== 'function') {
    process.stderr.write(`tools/chaos/${script} is started by tools/chaos/main.ts (npm run chaos)\n`);
    process.exit(2);
  }
  const orphaned = (): never => process.exit(3);
  process.on('disconnect', orphaned);
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`unhandled rejection: ${describe(reason)}\n`);
    process.exit(70);
  });
  const send = (message: ClientMessage): void => {
    if (process.connected) process.send?.(message);
  };
  // Started before any fault, so the first connection succeeds; Monque is given a connected client.
  const client = await new MongoClient(config.proxiedUri, {
    serverSelectionTimeoutMS: 5_000,
    monitorCommands: true,
  }).connect();
  const Monque = await loadMonque(config.corePath);
  const monque = new Monque(client.db(config.dbName), {
    instanceId: config.clientId,
    operationTimeout: CLIENT_OPERATION_TIMEOUT,
  });
  const working = new Set<Promise<unknown>>();

  const attempt: ClientKit['attempt'] = async (method, fields, call, summary) => {
    const start = Date.now();
    try {
      const value = await call();
      send({
        type: 'call',
        call: { client: config.clientId, method, ...fields, start, end: Date.now(), returned: summary(value) },
      });
      return { ok: true, value };
    } catch (error) {
      const flag = (error as { mayHaveBeenApplied?: unknown } | null)?.mayHaveBeenApplied;
      const doubt = typeof flag === 'boolean' ? { mayHaveBeenApplied: flag } : {};
      send({
        type: 'call',
        call: { client: config.clientId, method, ...fields, start, end: Date.now(), error: describe(error), ...doubt },
      });
      return { ok: false, error };
    }
  };
  const kit: ClientKit = {
    config,
    monque,
    client,
    send,
    attempt,
    async untilSettled(method, fields, call, summary) {
      const deadline = Date.now() + GIVE_UP_AFTER_MS;
      for (;;) {
        const result = await attempt(method, fields, call, summary);
        if (result.ok || isDefinitive(result.error) || Date.now() > deadline) return result;
        await sleep(RETRY_DELAY_MS);
      }
    },
    track(work) {
      const tracked = work.catch((error: unknown) => process.stderr.write(`${describe(error)}\n`));
      working.add(tracked);
      void tracked.finally(() => working.delete(tracked));
    },
  };

  process.on('message', (order: ClientOrder) => {
    if (order.type !== 'stop') {
      onOrder(kit, order);
      return;
    }
    void (async () => {
      while (working.size > 0) await Promise.all(working);
      send({ type: 'stopped' });
      await client.close();
      process.off('disconnect', orphaned);
      process.disconnect();
    })();
  });
  send({ type: 'ready' });
  return kit;
}
