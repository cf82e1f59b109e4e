/**
 * The producer and operator processes of a chaos run, as the orchestrator sees them: one per
 * client id, each behind its own fault proxy, started once and stopped in the quiet phase. Their
 * call records and sent commands are collected here for the checker.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FaultProxy } from '../test-backend/src/index.js';
import type { CallRecord, ClientConfig, ClientId, ClientMessage, ClientOrder, SentCommand } from './messages.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');

/** How a client process ended: stopped when told, or on its own (a crash), or killed after hanging. */
export interface ClientExit {
  readonly clientId: ClientId;
  exit?: 'stopped' | 'crashed' | 'killed-after-stop-timeout';
  exitDetail?: string;
}

/** What every client shares. */
export interface ClientSettings {
  readonly dbName: string;
  readonly corePath: string;
  readonly log: (line: string) => void;
  readonly onCall: (call: CallRecord) => void;
  readonly onSent: (sent: SentCommand) => void;
  /** Registers the child for the last-resort cleanup; returns the function that forgets it. */
  readonly adopt: (child: ChildProcess) => () => void;
}

/** One producer or the operator. */
export class ClientSlot {
  readonly record: ClientExit;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    readonly clientId: ClientId,
    readonly proxy: FaultProxy,
    private readonly settings: ClientSettings,
  ) {
    this.record = { clientId };
  }

  /** Starts the process; resolves once it is ready. */
  start(): Promise<void> {
    const script = this.clientId === 'op' ? 'operator.ts' : 'producer.ts';
    const config: ClientConfig = {
      clientId: this.clientId,
      proxiedUri: this.proxy.uri,
      dbName: this.settings.dbName,
      corePath: this.settings.corePath,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, script), JSON.stringify(config)], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
      detached: true,
    });
    this.child = child;
    const forget = this.settings.adopt(child);
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        this.settings.log(`  [${this.clientId}] ${line}`);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        forget();
        this.child = undefined;
        this.record.exit ??= this.stopped && code === 0 ? 'stopped' : 'crashed';
        this.record.exitDetail = signal ? `signal ${signal}` : `code ${code}`;
        if (this.record.exit === 'crashed')
          this.settings.log(`  ${this.clientId} exited on its own (${this.record.exitDetail})`);
        resolve();
      }),
    );
    return new Promise((resolve, reject) => {
      child.on('message', (message: ClientMessage) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'call') this.settings.onCall(message.call);
        else if (message.type === 'sent') this.settings.onSent(message.sent);
      });
      void this.exited.then(() => reject(new Error(`${this.clientId} exited before it was ready`)));
    });
  }

  /** Sends an order (ignored when the process is gone). */
  order(order: ClientOrder): void {
    if (this.child?.connected) this.child.send(order);
  }

  /** Asks it to finish its work and exit; SIGKILLs it after `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.stopped = true;
    this.order({ type: 'stop' });
    const timer = setTimeout(() => {
      this.record.exit = 'killed-after-stop-timeout';
      child.kill('SIGKILL');
    }, timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
