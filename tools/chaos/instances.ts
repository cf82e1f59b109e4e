/**
 * The instance processes of a chaos run: one slot per instance, each behind its own fault proxy.
 * A slot starts incarnations of `instance.ts` (a new process and instance id after each kill or
 * crash), and remembers for each when it started, stopped and exited: the checker needs those times.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FaultProxy } from '../test-backend/src/index.js';
import { HUNG_AFTER_STOP, type InstanceConfig, type InstanceMessage, type OrchestratorMessage } from './messages.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');

/** One process of one slot. */
export interface Incarnation {
  readonly slot: number;
  readonly instanceId: string;
  readonly ledger: string;
  readonly skewMs: number;
  pid: number;
  readyAt?: number;
  /** When its `stop()` resolved (it said so). */
  stoppedAt?: number;
  exitedAt?: number;
  /** Stalls of its event loop longer than 500 ms, as it reported them. */
  readonly stalls: { from: number; to: number }[];
  /**
   * Why it exited: killed by the plan, stopped (by a planned restart or at the end), or neither (a
   * crash); `hung-after-stop` when it did not exit by itself after `stop()` and closing its clients.
   */
  exit?: 'killed' | 'stopped' | 'crashed' | 'killed-after-stop-timeout' | 'hung-after-stop';
  exitDetail?: string;
}

/** What every incarnation shares. */
export interface SlotSettings {
  readonly directUri: string;
  readonly dbName: string;
  readonly corePath: string;
  /** This slot registers no worker for the always-failing jobs. */
  readonly withoutAlwaysFailing: boolean;
  /** Prints one line of the run's log. */
  readonly log: (line: string) => void;
  /** Called when an event arrives from an incarnation. */
  readonly onEvent: (incarnation: Incarnation, event: string, detail: string) => void;
  /** Called when an incarnation recovered a stale job owned by `owner` and locked at `lockedAt`. */
  readonly onRecovered: (jobId: string, owner: string, lockedAt: number | null) => void;
  /** Called when an incarnation's `stop()` reached its deadline with these jobs unfinished. */
  readonly onShutdownTimeout: (instanceId: string, at: number, jobIds: readonly string[]) => void;
  /** Called when an incarnation's process has exited (for whatever reason: see `exit`). */
  readonly onExit: (slot: InstanceSlot, incarnation: Incarnation) => void;
}

/** Every child process ever started, for the last-resort cleanup. */
const liveChildren = new Set<ChildProcess>();

/** SIGKILLs every child process still alive (safe to call from a signal handler). */
export function killAllInstances(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
}

/** Registers a child process for {@link killAllInstances}; returns the function that forgets it. */
export function adoptChild(child: ChildProcess): () => void {
  liveChildren.add(child);
  return () => liveChildren.delete(child);
}

/** One instance slot: its proxy, its current process, and every incarnation it had. */
export class InstanceSlot {
  readonly incarnations: Incarnation[] = [];
  private child: ChildProcess | undefined;
  private current: Incarnation | undefined;

  constructor(
    readonly slot: number,
    readonly proxy: FaultProxy,
    private readonly skews: readonly number[],
    private readonly settings: SlotSettings,
  ) {}

  /** `i<slot>`. */
  get label(): string {
    return `i${this.slot}`;
  }

  /** Whether a process of this slot is running (ready or starting). */
  get alive(): boolean {
    return this.child !== undefined;
  }

  /** Whether its process was asked to stop and has not exited yet (a second stop or restart waits for none). */
  get stopping(): boolean {
    return this.child !== undefined && this.current?.exit === 'stopped';
  }

  /** Starts the next incarnation; resolves once it is ready, rejects if it exits or is killed first. */
  start(): Promise<Incarnation> {
    if (this.child) throw new Error(`${this.label} is already running`);
    const number = this.incarnations.length;
    const skewMs = this.skews[number % this.skews.length] ?? 0;
    const config: InstanceConfig = {
      instanceId: `chaos-${this.label}-r${number}`,
      proxiedUri: this.proxy.uri,
      directUri: this.settings.directUri,
      dbName: this.settings.dbName,
      ledger: `ledger_${this.label}_r${number}`,
      skewMs,
      corePath: this.settings.corePath,
      withoutAlwaysFailing: this.settings.withoutAlwaysFailing,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'instance.ts'), JSON.stringify(config)], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
      // Its own process group: Ctrl-C reaches the orchestrator only, which kills it.
      detached: true,
    });
    const incarnation: Incarnation = {
      slot: this.slot,
      instanceId: config.instanceId,
      ledger: config.ledger,
      skewMs,
      pid: child.pid ?? -1,
      stalls: [],
    };
    this.incarnations.push(incarnation);
    this.child = child;
    this.current = incarnation;
    liveChildren.add(child);
    let stderrTail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderrTail = (stderrTail + text).slice(-2_000);
      for (const line of text.split('\n').filter(Boolean)) this.settings.log(`  [${config.instanceId}] ${line}`);
    });
    return new Promise((resolve, reject) => {
      child.on('message', (message: InstanceMessage) => {
        if (message.type === 'ready') {
          incarnation.readyAt = message.at;
          resolve(incarnation);
        } else if (message.type === 'stopped') {
          incarnation.stoppedAt = message.at;
        } else if (message.type === 'recovered') {
          this.settings.onRecovered(message.jobId, message.owner, message.lockedAt);
        } else if (message.type === 'stall') {
          incarnation.stalls.push({ from: message.from, to: message.to });
        } else if (message.type === 'shutdown-timeout') {
          this.settings.onShutdownTimeout(config.instanceId, message.at, message.jobIds);
        } else {
          this.settings.onEvent(incarnation, message.event, message.detail);
        }
      });
      child.once('exit', (code, signal) => {
        liveChildren.delete(child);
        incarnation.exitedAt = Date.now();
        incarnation.exit ??= 'crashed';
        if (incarnation.exit === 'stopped' && code !== 0)
          incarnation.exit = code === HUNG_AFTER_STOP ? 'hung-after-stop' : 'crashed';
        incarnation.exitDetail = signal ? `signal ${signal}` : `code ${code}`;
        if (incarnation.exit === 'crashed' || incarnation.exit === 'hung-after-stop') {
          this.settings.log(
            `  ${config.instanceId} exited on its own (${incarnation.exitDetail}) ${stderrTail.trim()}`,
          );
        }
        if (this.child === child) {
          this.child = undefined;
          this.current = undefined;
        }
        this.settings.onExit(this, incarnation);
        reject(new Error(`${config.instanceId} exited before it was ready (${incarnation.exitDetail})`));
      });
    });
  }

  /** SIGKILLs the current process (a planned fault). Returns its instance id, or `undefined` when none runs. */
  kill(): string | undefined {
    if (!this.child || !this.current) return undefined;
    this.current.exit = 'killed';
    this.child.kill('SIGKILL');
    return this.current.instanceId;
  }

  /** Asks the current process to stop (`monque.stop()`); SIGKILLs it after `timeoutMs`. Resolves once it exited. */
  async stop(timeoutMs: number): Promise<void> {
    const child = this.child;
    const incarnation = this.current;
    if (!child || !incarnation) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Already asked (a restart overlapping the stop at the end): wait for that exit only.
    if (incarnation.exit === 'stopped') return exited;
    incarnation.exit = 'stopped';
    if (child.connected) child.send({ type: 'stop' } satisfies OrchestratorMessage);
    const timer = setTimeout(() => {
      incarnation.exit = 'killed-after-stop-timeout';
      child.kill('SIGKILL');
    }, timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
