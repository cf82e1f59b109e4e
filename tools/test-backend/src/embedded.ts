/**
 * Starts the embedded backend (`server.ts`) as a separate process and returns
 * its URI. The process exits when this one does (its stdin is our pipe).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForOutput } from './child-output.js';
import { stopChild } from './jongodb.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

/** A running embedded backend. */
export interface EmbeddedBackend {
  readonly uri: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts jongodb behind the serialising relay; resolves with the relay's URI. */
export async function startEmbeddedBackend(timeoutMs = 20_000): Promise<EmbeddedBackend> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'server.ts')], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
    // Its own process group: a Ctrl-C in the terminal signals the whole foreground group, and the
    // server must outlive it until its user has stopped gracefully (it still exits with its user,
    // when its stdin closes).
    detached: true,
  });
  const uri = await waitForOutput(child, /MONQUE_BACKEND_URI=(\S+)/, 'the embedded backend', timeoutMs);
  child.stdout.resume();
  child.stderr.resume();
  // The backend must not keep this process alive on its own.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr])
    (stream as unknown as { unref?: () => void }).unref?.();
  return {
    uri,
    pid: child.pid ?? -1,
    stop: async () => {
      child.stdin.end();
      await stopChild(child);
    },
  };
}
