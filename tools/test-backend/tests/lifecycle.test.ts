import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NoTestBackendError, resolveTestBackend, waitUntil } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

describe('test backend life cycle', () => {
  it('fails at once, naming the options, when the requested backend does not exist', async () => {
    const error = await resolveTestBackend({ MONQUE_TEST_BACKEND: 'bogus' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoTestBackendError);
    const message = (error as Error).message;
    expect(message).toContain('MONQUE_TEST_BACKEND=bogus');
    expect(message).toContain('MONGODB_URI');
    expect(message).toContain('testcontainers');
    expect(message).toContain('@jongodb/memory-server-bin-linux-x64-gnu');
  });

  it('uses MONGODB_URI as given, without starting anything', async () => {
    const backend = await resolveTestBackend({ MONGODB_URI: 'mongodb://user:secret@db.example:27017/x' });
    expect(backend.kind).toBe('uri');
    expect(backend.uri).toBe('mongodb://user:secret@db.example:27017/x');
    expect(backend.description).not.toContain('secret');
    await backend.stop();
  });

  it.skipIf(process.platform !== 'linux' || process.arch !== 'x64')(
    'stops jongodb and the relay when the process that started them is killed with SIGKILL',
    async () => {
      const parent = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures/start-embedded.ts')], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        const backendPid = await new Promise<number>((resolve, reject) => {
          let out = '';
          parent.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const match = /BACKEND_PID=(\d+)/.exec(out);
            if (match) resolve(Number(match[1]));
          });
          parent.once('exit', (code) => reject(new Error(`fixture exited early with ${code}: ${out}`)));
        });
        await waitUntil(() => childrenOf(backendPid).length > 0, 'jongodb to start under the backend process');
        const jongodbPids = childrenOf(backendPid);
        expect(isAlive(backendPid)).toBe(true);

        parent.kill('SIGKILL');

        await waitUntil(() => !isAlive(backendPid) && jongodbPids.every((pid) => !isAlive(pid)), 'the backend to exit');
      } finally {
        parent.kill('SIGKILL');
      }
    },
  );
});
