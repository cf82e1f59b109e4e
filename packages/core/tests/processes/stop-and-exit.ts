/**
 * A scheduler process that must exit by itself after `stop()` and `client.close()`, whatever was
 * in flight: nothing of Monque may keep Node alive then. Reports `started` when its one job's
 * handler begins; on `go` the handler returns; on `stop` it stops, closes its client, reports
 * `ran`, and lets go of its IPC channel, so only Monque's own timers or sockets could keep it up.
 *
 * Arguments: the URI to connect through (a fault proxy of the parent), database name, collection name.
 */
import { MongoClient } from 'mongodb';
import { Monque } from '../../src/index.js';
import { argument } from './connect.js';
import { exitWithParent, messageFromParent, sendToParent } from './protocol.js';

exitWithParent();
const uri = argument(0, 'URI');
const databaseName = argument(1, 'database name');
const collectionName = argument(2, 'collection name');

const client = await new MongoClient(uri, { retryWrites: false, serverSelectionTimeoutMS: 1_000 }).connect();
const monque = new Monque(client.db(databaseName), {
  collectionName,
  pollInterval: 20,
  shutdownTimeout: 300,
  changeStreamWakeups: false,
});
const go = messageFromParent('go');
monque.worker('late', async () => {
  await go;
  return { done: true };
});
monque.on('job:start', (job) => {
  void sendToParent({ type: 'started', jobId: job._id.toHexString(), instanceId: monque.instanceId });
});
await monque.start();
await monque.enqueue('late', {});
await messageFromParent('stop');
await monque.stop();
await client.close();
await sendToParent({ type: 'ran', ids: [] });
process.channel?.unref();
