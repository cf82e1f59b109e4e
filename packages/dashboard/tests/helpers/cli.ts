/** Running the `monque` CLI in this process, as a test would type it, and what it printed. */
import { getTestUri } from '@monque/test-backend';
import type { CliIo } from '../../src/cli/cli-context.js';
import { runCli } from '../../src/cli/program.js';

/** What a run printed and its exit code. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `args` and `io` (the environment and the clock, a confirm hook …). */
export async function runWith(args: readonly string[], io: Partial<CliIo> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env: {},
    ...io,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

/** A runner against `collection()` of database `dbName` on the test backend, at a pinned time. */
export function cliOn(dbName: () => string, collection: () => string, io: Partial<CliIo> = {}) {
  return (...args: string[]): Promise<Run> =>
    runWith([...args, '--db', dbName(), '--collection', collection()], {
      env: { MONGODB_URI: getTestUri() },
      now: () => new Date('2025-06-10T12:00:00Z'),
      ...io,
    });
}
