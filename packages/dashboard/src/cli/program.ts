/**
 * The `monque` command line: inspect and control a Monque queue without writing code.
 * Exit codes: 0 success, 1 failure (unknown job, refused change, unreachable database), 2 usage error.
 */
import { Command, CommanderError } from 'commander';
import { answerForError } from '../http/error-status.js';
import type { CliIo } from './cli-context.js';
import { registerControlCommands } from './commands/control.js';
import { CommandFailed, registerInspectCommands } from './commands/inspect.js';
import { UsageError } from './usage-error.js';

/** The exit codes of the CLI. */
export const ExitCode = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

/** The version printed by `--version` (kept in step with package.json by a test). */
export const CLI_VERSION = '0.1.0';

/** Builds the `monque` program writing to `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('monque')
    .description('Inspect and control Monque job queues (MongoDB)')
    .version(CLI_VERSION)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) })
    .addHelpText(
      'after',
      '\nConnection: --uri (or MONGODB_URI) and --db (or the database in the URI) on every command.\nExit codes: 0 success, 1 failure, 2 usage error.',
    );
  registerInspectCommands(program, io);
  registerControlCommands(program, io);
  return program;
}

function describe(error: unknown, uri: string | undefined): string {
  const name = (error as { name?: unknown })?.name;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof name === 'string' && /^Mongo(ServerSelection|Network|Parse)/.test(name)) {
    const where = uri ? ` at ${uri.replace(/\/\/[^@/]*@/, '//***@')}` : '';
    return `cannot reach MongoDB${where}: ${message}`;
  }
  const answer = answerForError(error);
  return answer.internal ? message : answer.message;
}

/** Runs the CLI with `argv` (the arguments after the program name); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) {
        return ExitCode.OK;
      }
      // commander.help is `monque` alone (help printed to stderr): a usage error too.
      return ExitCode.USAGE;
    }
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n(add --help for usage)\n`);
      return ExitCode.USAGE;
    }
    if (error instanceof CommandFailed) {
      io.stderr(`error: ${error.message}\n`);
      return ExitCode.FAILURE;
    }
    const uriIndex = argv.indexOf('--uri');
    const inline = argv.find((arg) => arg.startsWith('--uri='))?.slice('--uri='.length);
    const uri = inline ?? (uriIndex >= 0 ? argv[uriIndex + 1] : io.env.MONGODB_URI);
    io.stderr(`error: ${describe(error, uri)}\n`);
    return ExitCode.FAILURE;
  }
}
