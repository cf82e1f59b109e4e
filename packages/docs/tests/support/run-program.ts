/**
 * Runs a program taken from the docs the way a reader does: saved in a new ESM project
 * (`"type": "module"`) and started with tsx (`npx tsx <file>`).
 *
 * `@monque/core` resolves to the workspace's SOURCE (`packages/core/src/index.ts`) through the
 * project's tsconfig `paths`, which tsx honours: no build is needed, and the program runs against
 * the code under test, as the rest of the docs tests do. `mongodb` is the workspace's copy.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const CORE_SOURCE = fileURLToPath(new URL('../../../core/src/index.ts', import.meta.url));
const TSX_CLI = require.resolve('tsx/cli');
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;
const MONGODB_PACKAGE = dirname(require.resolve('mongodb/package.json'));

/** A throwaway project directory holding the given files. */
export interface ProgramProject {
  dir: string;
  remove(): Promise<void>;
}

/** Creates a new ESM project in a temporary directory with `files` (name → content). */
export async function createProgramProject(files: Record<string, string>): Promise<ProgramProject> {
  const dir = await mkdtemp(join(tmpdir(), 'monque-docs-program-'));
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ type: 'module', private: true }, null, 2)}\n`);
  await writeFile(
    join(dir, 'tsconfig.json'),
    `${JSON.stringify({ compilerOptions: { paths: { '@monque/core': [CORE_SOURCE] } } }, null, 2)}\n`,
  );
  await mkdir(join(dir, 'node_modules'));
  await symlink(MONGODB_PACKAGE, join(dir, 'node_modules', 'mongodb'), 'dir');
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** How a program run ended. */
export interface ProgramResult {
  /** Exit code; `null` when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall-clock duration in ms. */
  elapsedMs: number;
}

/** Options of {@link runProgram}. */
export interface RunOptions {
  /** The environment (replaces the inherited one's `MONGODB_URI`; `undefined` removes it). */
  mongodbUri: string | undefined;
  /** Kill the program (SIGKILL) and reject after this long. */
  timeoutMs: number;
  /**
   * Send this signal once stdout contains `after` (for programs that run until stopped). The
   * program then runs as `node --import tsx <file>`: the same loader in ONE process. The tsx CLI
   * runs the program in a child process and relays signals to it, but kills a child that does
   * not confirm a signal within 30 ms, which a loaded test machine can miss.
   */
  signal?: { name: NodeJS.Signals; after: string };
}

/** Runs `npx tsx <file>` in `dir` (as `node <tsx cli> <file>`; see `signal`) and collects its output. */
export function runProgram(dir: string, file: string, options: RunOptions): Promise<ProgramResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.MONGODB_URI;
  delete env.NODE_OPTIONS;
  if (options.mongodbUri !== undefined) env.MONGODB_URI = options.mongodbUri;
  const started = Date.now();
  const args = options.signal ? ['--import', TSX_LOADER, file] : [TSX_CLI, file];
  const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let signalled = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (options.signal && !signalled && stdout.includes(options.signal.after)) {
      signalled = true;
      child.kill(options.signal.name);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not exit within ${options.timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
}
