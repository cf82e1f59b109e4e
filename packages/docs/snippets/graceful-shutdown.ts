/**
 * Stopping on SIGTERM/SIGINT without losing work.
 */
import { type Monque, ShutdownTimeoutError } from '@monque/core';
import type { MongoClient } from 'mongodb';

/** Stops the scheduler, then closes the client, on the first SIGTERM or SIGINT. */
export function stopOnSignals(monque: Monque, client: MongoClient): void {
  // #region signals
  monque.on('job:error', ({ error }) => {
    if (error instanceof ShutdownTimeoutError) {
      // Still running at the deadline: their signals were aborted and their jobs given back
      // (pending, no failure charged), so another instance runs them at once.
      for (const job of error.incompleteJobs) console.warn(`given back: ${job.name} ${job._id.toHexString()}`);
    }
  });

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the scheduler`);
    await monque.stop(); // resolves at most about shutdownTimeout + 1 s later
    await client.close(); // only after stop(): outcomes are written during stop()
    process.exit(0); // a handler that ignored its aborted signal must not keep running
  };
  process.once('SIGTERM', (signal) => void shutdown(signal));
  process.once('SIGINT', (signal) => void shutdown(signal));
  // #endregion signals
}

/** A long handler that stops between steps when its run is asked to stop. */
export function cooperativeHandler(monque: Monque): void {
  // #region cooperative
  monque.worker<{ fileIds: string[] }>('export-files', async (job, { signal, progress }) => {
    for (const [index, fileId] of job.data.fileIds.entries()) {
      // Aborted at stop()'s deadline (ShutdownTimeoutError), on timeout, cancelJob() or a lost lock.
      signal.throwIfAborted();
      await exportFile(fileId, signal);
      await progress({ done: index + 1, of: job.data.fileIds.length });
    }
  });
  // #endregion cooperative
}

async function exportFile(fileId: string, signal: AbortSignal): Promise<void> {
  // A real export would pass the signal on, e.g. fetch(url, { signal }).
  if (!signal.aborted) console.log('exporting', fileId);
}
