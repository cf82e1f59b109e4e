/**
 * The `monque` command line: inspect and control a Monque queue without writing code.
 * Exit codes: 0 success, 1 failure (unknown job, refused change, unreachable database), 2 usage error.
 */
import { Command, CommanderError } from 'commander';
import { answerForError } from '../http/error-status.js';
import type { CliIo } from './cli-context.js';
import { registerControlCommands } from './commands/control.js';
import { CommandFailed, registerInspectCommands } from './commands/inspect.js';
import { hideSecrets, maskUri } from './mongo-uri.js';
import { UsageError } from './usage-error.js';
import { visible } from './visible.js';

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
    .configureOutput({
      writeOut: (text) => io.stdout(visible(text, { multiline: true })),
      writeErr: (text) => io.stderr(visible(text, { multiline: true })),
    })
    .addHelpText(
      'after',
      '\nConnection: --uri (or MONGODB_URI) and --db (or the database in the URI) on every command.\nExit codes: 0 success, 1 failure, 2 usage error. With --json, errors are printed as JSON too.',
    );
  registerInspectCommands(program, io);
  registerControlCommands(program, io);
  return program;
}

/** The URI the command line gives (`--uri x`, `--uri=x`), else `MONGODB_URI`. */
function uriOf(argv: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  const index = argv.indexOf('--uri');
  const inline = argv.find((arg) => arg.startsWith('--uri='))?.slice('--uri='.length);
  return inline ?? (index >= 0 ? argv[index + 1] : env.MONGODB_URI);
}

/** What the CLI prints for a change whose outcome is unknown (`ConnectionError.mayHaveBeenApplied`). */
const OUTCOME_UNKNOWN_CLI =
  'the database did not confirm the change: it may have been applied; check with monque list or monque show before running it again';

/** An error as the CLI reports it: its message (credentials hidden), exit code and stable code. */
function describe(
  error: unknown,
  uri: string | undefined,
): { message: string; exitCode: number; code?: string; mayHaveBeenApplied?: true } {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  const message = hideSecrets(error instanceof Error ? error.message : String(error), uri);
  if (error instanceof UsageError) return { message, exitCode: ExitCode.USAGE };
  if (error instanceof CommandFailed) return { message, exitCode: ExitCode.FAILURE };
  if (typeof name === 'string' && /^Mongo(ServerSelection|Network|Parse)/.test(name)) {
    const where = uri ? ` at ${maskUri(uri)}` : '';
    return { message: `cannot reach MongoDB${where}: ${message}`, exitCode: ExitCode.FAILURE };
  }
  const monqueCode = typeof code === 'string' && code.startsWith('MONQUE_') ? { code } : {};
  // A bad value the core refused (a cursor, a limit): the command was called wrongly.
  if (code === 'MONQUE_INVALID_ARGUMENT') return { message, exitCode: ExitCode.USAGE, ...monqueCode };
  const answer = answerForError(error);
  if (answer.mayHaveBeenApplied) {
    return { message: OUTCOME_UNKNOWN_CLI, exitCode: ExitCode.FAILURE, ...monqueCode, mayHaveBeenApplied: true };
  }
  return {
    message: answer.internal ? message : hideSecrets(answer.message, uri),
    exitCode: ExitCode.FAILURE,
    ...monqueCode,
  };
}

/** Runs the CLI with `argv` (the arguments after the program name); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // With --json, errors are JSON on stderr as well; commander's own messages are held back for it.
  const json = argv.includes('--json');
  let commanderText = '';
  const programIo: CliIo = json
    ? {
        ...io,
        stderr: (text) => {
          commanderText += text;
        },
      }
    : io;
  const program = buildProgram(programIo);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.OK;
  } catch (error) {
    let failure: { message: string; exitCode: number; code?: string; mayHaveBeenApplied?: true };
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) {
        if (json && commanderText) io.stderr(commanderText);
        return ExitCode.OK;
      }
      // commander.help is `monque` alone (help printed to stderr): a usage error too.
      if (!json) return ExitCode.USAGE;
      failure = { message: error.message.replace(/^error: /, ''), exitCode: ExitCode.USAGE };
    } else {
      failure = describe(error, uriOf(argv, io.env));
    }
    if (json) {
      const { message, exitCode, code, mayHaveBeenApplied } = failure;
      io.stderr(
        `${JSON.stringify({ error: message, exitCode, ...(code ? { code } : {}), ...(mayHaveBeenApplied ? { mayHaveBeenApplied } : {}) })}\n`,
      );
    } else {
      const hint = failure.exitCode === ExitCode.USAGE ? '\n(add --help for usage)' : '';
      io.stderr(`error: ${visible(failure.message)}${hint}\n`);
    }
    return failure.exitCode;
  }
}
