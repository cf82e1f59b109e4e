/**
 * A scheduler process whose handler completes at once, reaching the server through the URI it is
 * given (a fault proxy of the parent's), with its own workflow sweep off: the crash test drops the
 * first write that tells a completed job's dependents and kills this process (SIGKILL) before it
 * can try again, so only another instance's sweep can release them. Reports `ready` once started.
 *
 * Arguments: server URI, database name, collection name, worker name.
 */
import { MongoClient } from 'mongodb';
import { Monque } from '../../src/index.js';
import { argument } from './connect.js';
import { exitWithParent, sendToParent } from './protocol.js';

exitWithParent();
const uri = argument(0, 'server URI');
const databaseName = argument(1, 'database name');
const collectionName = argument(2, 'collection name');
const workerName = argument(3, 'worker name');

const client = await new MongoClient(uri, { serverSelectionTimeoutMS: 10_000, retryWrites: false }).connect();
const monque = new Monque(client.db(databaseName), {
  collectionName,
  pollInterval: 20,
  staleCheckInterval: 3_600_000,
  lockTimeout: 7_200_000,
  changeStreamWakeups: false,
  instanceId: `dependency-worker:${process.pid}`,
});
monque.worker(workerName, () => 'done');
await monque.start();
await sendToParent({ type: 'ready', instanceIds: [monque.instanceId] });
