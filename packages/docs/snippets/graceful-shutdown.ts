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
      // These handlers were still running after shutdownTimeout. Their jobs stay `processing`;
      // if the process exits now, another instance recovers them once lockTimeout has passed.
      for (const job of error.incompleteJobs) console.warn(`unfinished: ${job.name} ${job._id.toHexString()}`);
    }
  });

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the scheduler`);
    await monque.stop(); // stops claiming at once, waits up to shutdownTimeout for running jobs
    await client.close(); // only after stop(): outcomes of finished jobs are written during stop()
    process.exit(0);
  };
  process.once('SIGTERM', (signal) => void shutdown(signal));
  process.once('SIGINT', (signal) => void shutdown(signal));
  // #endregion signals
}

/** A handler that stops early when the process is shutting down. */
export function cooperativeHandler(monque: Monque, shuttingDown: AbortSignal): void {
  // #region cooperative
  monque.worker<{ fileIds: string[] }>('export-files', async (job) => {
    for (const fileId of job.data.fileIds) {
      // Handlers are never interrupted by stop(): check a signal of your own between steps.
      if (shuttingDown.aborted) throw new Error('interrupted by shutdown; will be retried');
      await exportFile(fileId);
    }
  });
  // #endregion cooperative
}

async function exportFile(fileId: string): Promise<void> {
  console.log('exporting', fileId);
}
