/**
 * A scheduler process whose handler never returns: the crash test kills it (SIGKILL) while it
 * holds a job. Reports `ready` once started and `started` when the handler begins.
 *
 * Arguments: database name, collection name, worker name, lockTimeout (ms), and optionally the
 * worker's options as JSON (e.g. `{"concurrency":2,"globalConcurrency":2}`).
 */
import { Monque, type WorkerOptions } from '../../src/index.js';
import { argument, connectToTestDb } from './connect.js';
import { exitWithParent, sendToParent } from './protocol.js';

exitWithParent();
const databaseName = argument(0, 'database name');
const collectionName = argument(1, 'collection name');
const workerName = argument(2, 'worker name');
const lockTimeout = Number(argument(3, 'lockTimeout'));
const workerOptions = process.argv[6] ? (JSON.parse(process.argv[6]) as WorkerOptions) : undefined;

const { db } = await connectToTestDb(databaseName);
const monque = new Monque(db, {
  collectionName,
  pollInterval: 20,
  lockTimeout,
  heartbeatInterval: Math.floor(lockTimeout / 5),
  changeStreamWakeups: false,
  instanceId: `long-job-worker:${process.pid}`,
});
monque.worker(
  workerName,
  async (job) => {
    await sendToParent({ type: 'started', jobId: job._id.toHexString(), instanceId: monque.instanceId });
    await new Promise<never>(() => {});
  },
  workerOptions,
);
await monque.start();
await sendToParent({ type: 'ready', instanceIds: [monque.instanceId] });
