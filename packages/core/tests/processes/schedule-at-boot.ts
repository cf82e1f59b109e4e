/**
 * An application booting: it creates its scheduler and registers its recurring job, as every
 * instance of an app does on every boot. Waits for `go` (so several processes race), calls
 * `schedule()` `<calls>` times at once, reports the job ids and exits.
 *
 * Arguments: database name, collection name, job name, number of concurrent calls.
 */
import { Monque } from '../../src/index.js';
import { argument, connectToTestDb } from './connect.js';
import { exitWithParent, messageFromParent, sendToParent } from './protocol.js';

exitWithParent();
const databaseName = argument(0, 'database name');
const collectionName = argument(1, 'collection name');
const jobName = argument(2, 'job name');
const calls = Number(argument(3, 'number of calls'));

const { db } = await connectToTestDb(databaseName);
const monque = new Monque(db, { collectionName, changeStreamWakeups: false });
await sendToParent({ type: 'ready', instanceIds: [monque.instanceId] });
await messageFromParent('go');
const jobs = await Promise.all(
  Array.from({ length: calls }, () => monque.schedule('0 3 * * *', jobName, { bootedBy: process.pid })),
);
await sendToParent({ type: 'scheduled', jobIds: jobs.map((job) => job._id.toHexString()) });
// No client.close(): it sends a fire-and-forget `endSessions` (moreToCome) that the embedded
// backend answers anyway, which shifts the serialising relay's replies (see the test report).
process.exit(0);
