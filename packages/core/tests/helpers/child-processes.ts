/**
 * Starts the scripts of `tests/processes/` as separate Node.js processes (TypeScript through
 * `tsx`), talks to them over IPC, and makes sure none outlives its test.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { type ChildMessage, isChildMessage, type ParentMessage } from '../processes/protocol.js';

/** A running child script. */
export interface ChildScript {
  readonly process: ChildProcess;
  /** Every message received so far. */
  readonly messages: ChildMessage[];
  /** Resolves with the first message (already received or future) of `type` that `match` accepts. */
  waitFor<K extends ChildMessage['type']>(
    type: K,
    match?: (message: Extract<ChildMessage, { type: K }>) => boolean,
    timeoutMs?: number,
  ): Promise<Extract<ChildMessage, { type: K }>>;
  /** Sends a message to the child. */
  send(message: ParentMessage): void;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the child wrote to stdout and stderr (for failure messages). */
  output(): string;
}

const running = new Set<ChildScript>();

/** Kills (SIGKILL) `child` unless it has exited, and waits for the exit. */
export async function killChild(child: ChildScript): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  await child.exited;
}

/** Registers an `afterEach` that kills every child a test left running. Call once per test file. */
export function useChildProcesses(): void {
  afterEach(async () => {
    const left = [...running];
    running.clear();
    await Promise.all(left.map(killChild));
  });
}

/**
 * Forks `tests/processes/<script>.ts` with `args`; the child inherits the environment
 * (including `MONQUE_TEST_URI`).
 */
export function startChildScript(script: string, args: readonly string[] = []): ChildScript {
  const path = fileURLToPath(new URL(`../processes/${script}.ts`, import.meta.url));
  const child = fork(path, [...args], {
    execArgv: ['--import', 'tsx'],
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const messages: ChildMessage[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  child.on('message', (message: unknown) => {
    if (isChildMessage(message)) messages.push(message);
  });

  const handle: ChildScript = {
    process: child,
    messages,
    waitFor(type, match = () => true, timeoutMs = 30_000) {
      type Wanted = Extract<ChildMessage, { type: typeof type }>;
      const accepts = (message: ChildMessage): message is Wanted => message.type === type && match(message as Wanted);
      const seen = messages.find(accepts);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const cleanup = (): void => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        const onMessage = (message: unknown): void => {
          if (!isChildMessage(message) || !accepts(message)) return;
          cleanup();
          resolve(message);
        };
        const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
          cleanup();
          reject(new Error(`${script} exited (code ${code}, signal ${signal}) before sending '${type}':\n${output}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for '${type}' from ${script}:\n${output}`));
        }, timeoutMs);
        child.on('message', onMessage);
        child.once('exit', onExit);
      });
    },
    send(message) {
      child.send(message);
    },
    exited,
    output: () => output,
  };
  running.add(handle);
  void exited.then(() => running.delete(handle));
  return handle;
}
