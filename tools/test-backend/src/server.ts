/**
 * The embedded backend as one process: jongodb behind the serialising relay.
 *
 * Prints `MONQUE_BACKEND_URI=<uri>` once ready. Stops jongodb and exits when
 * its standard input closes (so it dies with whoever started it, even when
 * that process is killed with SIGKILL), on SIGTERM/SIGINT/SIGHUP, or when
 * jongodb exits on its own.
 */
import { findJongodbBinary, startJongodb } from './jongodb.js';
import { startSerialRelay } from './relay.js';

async function main(): Promise<void> {
  const found = findJongodbBinary();
  if (!('path' in found)) {
    process.stderr.write(`embedded backend unavailable: ${found.reason}\n`);
    process.exit(2);
  }
  const jongodb = await startJongodb(found.path);
  const relay = await startSerialRelay(jongodb.host, jongodb.port);

  let stopping = false;
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await relay.close();
    await jongodb.stop();
    process.exit(code);
  };
  jongodb.child.once('exit', () => void shutdown(3));
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
  process.stdin.on('end', () => void shutdown(0));
  process.stdin.on('close', () => void shutdown(0));
  process.stdin.resume();

  process.stdout.write(`MONQUE_BACKEND_URI=mongodb://127.0.0.1:${relay.port}/?directConnection=true\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`embedded backend failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
