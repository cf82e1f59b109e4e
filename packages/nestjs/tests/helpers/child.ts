/**
 * Child Node.js processes for the tests that run programs as a user would (the example, the
 * Nest 11 smoke test): collects their output, waits for a line, and kills what a test leaves running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach } from 'vitest';

/** A running program. */
export interface Program {
  readonly process: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first capture of `pattern` in its output; rejects if it exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when it has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<Program>();

/** Registers an `afterEach` that kills (SIGKILL) every program a test left running. */
export function usePrograms(): void {
  afterEach(async () => {
    const left = [...running];
    running.clear();
    for (const program of left) {
      if (program.process.exitCode === null && program.process.signalCode === null) program.process.kill('SIGKILL');
      await program.exited;
    }
  });
}

/** Starts `node <args>` in `cwd` with `env` added to this process's environment. */
export function startProgram(cwd: string, args: readonly string[], env: Record<string, string> = {}): Program {
  const child = spawn(process.execPath, [...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const listener of listeners) listener();
      resolve({ code, signal });
    });
  });
  const program: Program = {
    process: child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(output);
          if (match) {
            done();
            resolve(match[1] ?? match[0]);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`the program exited (code ${child.exitCode}) before printing ${pattern}:\n${output}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}:\n${output}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
  running.add(program);
  void exited.then(() => running.delete(program));
  return program;
}
