/**
 * Starts the embedded MongoDB-compatible server (`jongodb`, linux x64 glibc)
 * as a child process on a free port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { waitForOutput } from './child-output.js';

const PACKAGE = '@jongodb/memory-server-bin-linux-x64-gnu';

/** A running jongodb child process. */
export interface JongodbProcess {
  readonly host: string;
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Returns the path of the jongodb binary, or a reason why there is none. */
export function findJongodbBinary(): { path: string } | { reason: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { reason: `the embedded backend exists for linux x64 only (this is ${process.platform} ${process.arch})` };
  }
  try {
    const require = createRequire(import.meta.url);
    const manifest = require.resolve(`${PACKAGE}/package.json`);
    const binary = path.join(path.dirname(manifest), 'bin', 'jongodb');
    if (existsSync(binary)) return { path: binary };
    return { reason: `${PACKAGE} is installed but has no bin/jongodb` };
  } catch {
    return { reason: `the optional dependency ${PACKAGE} is not installed (npm install on linux x64 glibc)` };
  }
}

/** Starts jongodb on a free port and resolves once it printed its URI. */
export async function startJongodb(binary: string, timeoutMs = 15_000): Promise<JongodbProcess> {
  const child = spawn(binary, ['--host=127.0.0.1', '--port=0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const uri = await waitForOutput(child, /JONGODB_URI=(\S+)/, 'jongodb', timeoutMs);
  child.stdout?.resume();
  child.stderr?.resume();
  const { hostname, port } = new URL(uri);
  return {
    host: hostname,
    port: Number(port),
    child,
    stop: () => stopChild(child),
  };
}

/** Sends SIGTERM, then SIGKILL after a grace period; resolves when the child exited. */
export function stopChild(child: ChildProcess, graceMs = 2_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
