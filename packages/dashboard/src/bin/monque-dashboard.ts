#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError } from 'commander';
/**
 * `monque-dashboard --uri … --db … [--collection …] [--port 3000] [--host 127.0.0.1]
 * [--allowed-host name …] [--read-only]`: serves the dashboard for one jobs collection until
 * interrupted. Exit codes: 0 after SIGINT/SIGTERM, 1 when MongoDB cannot be reached or the port
 * taken, 2 for a usage error (a bad option, a connection string the driver cannot read).
 */
import type { MongoClient } from 'mongodb';
import { connectionTarget } from '../cli/connect.js';
import { hideSecrets, maskUri, openClient } from '../cli/mongo-uri.js';
import { CLI_VERSION } from '../cli/program.js';
import { UsageError } from '../cli/usage-error.js';
import { visible } from '../cli/visible.js';
import { normaliseBasePath } from '../dashboard-options.js';
import { isLoopback, startStandaloneServer } from '../standalone-server.js';

/** `--base-path`, checked as `createDashboard` checks `basePath`; a `UsageError` naming the option. */
function checkBasePath(basePath: string): void {
  try {
    normaliseBasePath(basePath);
  } catch (error) {
    throw new UsageError(`--base-path: ${(error as Error).message.replace(/^createDashboard: basePath /, '')}`);
  }
}

function portOf(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65_535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return Number(text);
}

const program = new Command('monque-dashboard')
  .description('Serve the Monque dashboard for one jobs collection')
  .version(CLI_VERSION)
  .option('--uri <uri>', 'MongoDB connection string (default: $MONGODB_URI)')
  .option('--db <name>', 'database holding the jobs (default: the one named in the URI)')
  .option('--collection <name>', 'jobs collection', 'monque_jobs')
  .option('--port <port>', 'port to listen on (0: any free port)', portOf, 3000)
  .option('--host <host>', 'address to bind; anything but loopback exposes the dashboard to the network', '127.0.0.1')
  .option(
    '--allowed-host <host>',
    'a Host name to answer besides the loopback names, e.g. jobs.internal or 10.0.0.5:3000 (repeatable)',
    (value: string, previous: string[] = []) => [...previous, value],
  )
  .option('--base-path <path>', 'serve under this path, e.g. /jobs', '/')
  .option('--read-only', 'refuse every change (retry, cancel, delete, pause …)')
  .exitOverride();

async function main(): Promise<number> {
  try {
    program.parse();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const options = program.opts<{
    uri?: string;
    db?: string;
    collection: string;
    port: number;
    host: string;
    basePath: string;
    readOnly?: boolean;
    allowedHost?: string[];
  }>();
  // Every mistake of the command line is found here, before connecting: one line, exit code 2.
  let uri: string;
  let dbName: string;
  let client: MongoClient;
  try {
    ({ uri, dbName } = connectionTarget(
      { ...(options.uri ? { uri: options.uri } : {}), ...(options.db ? { db: options.db } : {}) },
      process.env,
    ));
    checkBasePath(options.basePath);
    client = openClient(uri, 'monque-dashboard');
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${visible(hideSecrets(error.message, options.uri ?? process.env.MONGODB_URI))}\n`);
    return 2;
  }
  try {
    await client.connect();
  } catch (error) {
    const message = hideSecrets(error instanceof Error ? error.message : String(error), uri);
    process.stderr.write(`error: cannot reach MongoDB at ${visible(maskUri(uri))}: ${visible(message)}\n`);
    return 1;
  }
  let server: Awaited<ReturnType<typeof startStandaloneServer>>;
  try {
    server = await startStandaloneServer({
      db: client.db(dbName),
      collectionName: options.collection,
      port: options.port,
      host: options.host,
      basePath: options.basePath,
      readOnly: options.readOnly ?? false,
      ...(options.allowedHost ? { allowedHosts: options.allowedHost } : {}),
    });
  } catch (error) {
    await client.close();
    process.stderr.write(`error: cannot listen on ${options.host}:${options.port}: ${(error as Error).message}\n`);
    return 1;
  }
  const mode = options.readOnly ? 'read-only' : 'read-write';
  process.stdout.write(
    `Monque dashboard listening on ${server.url} (database ${dbName}, collection ${options.collection}, ${mode})\n`,
  );
  if (!isLoopback(options.host)) {
    process.stderr.write(
      `warning: bound to ${options.host}: anyone who can reach this address can use the dashboard (it has no login; mount createDashboard with authorize in your app for that)\n`,
    );
    if (!options.allowedHost) {
      process.stderr.write(
        'note: it answers only loopback Host names; add --allowed-host with the name (or address:port) you open it by\n',
      );
    }
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await client.close();
  return 0;
}

process.exitCode = await main();
