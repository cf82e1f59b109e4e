#!/usr/bin/env node
/** The `monque` command: see `src/cli/program.ts`. */
import { createInterface } from 'node:readline/promises';
import { runCli } from '../cli/program.js';

/** Asks on the terminal; only when both stdin and stderr are one (never in a pipe or a script). */
async function ask(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await terminal.question(question)).trim());
  } finally {
    terminal.close();
  }
}

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm: ask } : {}),
});
process.exitCode = code;
