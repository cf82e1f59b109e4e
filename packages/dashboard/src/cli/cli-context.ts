/** What a command needs to run: where to write, the environment, the clock and the connection. */
import type { Monque } from '@monque/core';
import type { Command } from 'commander';
import { toJson } from '../api/to-json.js';
import { type ConnectionOptions, connect } from './connect.js';

/** Where the CLI writes and what it reads from its process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly env: NodeJS.ProcessEnv;
  /** The clock (tests pin it). @defaultValue `() => new Date()` */
  readonly now?: () => Date;
  /**
   * Asks the person at the terminal a yes/no question; absent when there is no terminal to ask
   * (a script, a pipe), and then a command that needs a confirmation wants `--yes`.
   * @defaultValue none
   */
  readonly confirm?: (question: string) => Promise<boolean>;
}

/** The options every command takes. */
export interface CommonOptions extends ConnectionOptions {
  json?: boolean;
}

/** Adds the connection and output options to `command`. */
export function addCommonOptions(command: Command): Command {
  return command
    .option('--uri <uri>', 'MongoDB connection string (default: $MONGODB_URI)')
    .option('--db <name>', 'database holding the jobs (default: the one named in the URI)')
    .option('--collection <name>', 'jobs collection', 'monque_jobs')
    .option('--json', 'print JSON instead of a table');
}

/** Runs `work` with a connected Monque, closing the connection afterwards. */
export async function withMonque<T>(
  io: CliIo,
  options: CommonOptions,
  work: (monque: Monque) => Promise<T>,
): Promise<T> {
  const connection = await connect(options, io.env);
  try {
    return await work(connection.monque);
  } finally {
    await connection.close();
  }
}

/** Prints `value` as JSON (`--json`) or as the text `human` makes of it. */
export function print<T>(io: CliIo, options: CommonOptions, value: T, human: (value: T) => string): void {
  io.stdout(`${options.json ? JSON.stringify(toJson(value), null, 2) : human(value)}\n`);
}
