/**
 * A database handle whose client records every command it sends, so a test can prove that a call
 * reached (or never reached) the server.
 */
import { getTestUri } from '@monque/test-backend';
import { type CommandStartedEvent, type Db, MongoClient } from 'mongodb';

/** A monitored database and the commands sent through it. */
export interface CommandLog {
  /** The database, reached through a client that records commands. */
  readonly db: Db;
  /** Every command started since the last {@link CommandLog.clear}, oldest first. */
  readonly commands: CommandStartedEvent[];
  /** The `requestId`s of the commands the server has answered (successfully) so far. */
  readonly answered: ReadonlySet<number>;
  /** Names of the commands recorded so far (e.g. `['insert', 'find']`). */
  commandNames(): string[];
  /** Forgets the commands recorded so far. */
  clear(): void;
  /** Closes the monitoring client. */
  close(): Promise<void>;
}

/**
 * Opens a second client with command monitoring on the database named `databaseName` (pass the
 * test file's database name; take collection names from `freshCollectionName` on the shared handle
 * so the usual cleanup empties them).
 */
export async function openCommandLog(databaseName: string): Promise<CommandLog> {
  const client = new MongoClient(getTestUri(), { monitorCommands: true, serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  const commands: CommandStartedEvent[] = [];
  const answered = new Set<number>();
  client.on('commandStarted', (event) => commands.push(event));
  client.on('commandSucceeded', (event) => answered.add(event.requestId));
  return {
    db: client.db(databaseName),
    commands,
    answered,
    commandNames: () => commands.map((event) => event.commandName),
    clear: () => {
      commands.length = 0;
    },
    close: () => client.close(),
  };
}
