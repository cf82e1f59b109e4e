#!/usr/bin/env node
/** The `monque` command: see `src/cli/program.ts`. */
import { runCli } from '../cli/program.js';

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
process.exitCode = code;
