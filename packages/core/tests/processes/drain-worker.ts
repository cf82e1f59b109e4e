/**
 * A scheduler process for the exactly-once test: one `Monque` per collection, each running
 * worker `<name>`. Reports `ready` once started; on `stop` stops, reports every job id it ran
 * (one entry per handler call) and exits.
 *
 * Arguments: database name, comma-separated collection names, worker name.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Monque } from '../../src/index.js';
import { argument, connectToTestDb } from './connect.js';
import { exitWithParent, messageFromParent, sendToParent } from './protocol.js';

exitWithParent();
const databaseName = argument(0, 'database name');
const collections = argument(1, 'collection names').split(',');
const workerName = argument(2, 'worker name');

const { db } = await connectToTestDb(databaseName);
const ran: string[] = [];
const schedulers = collections.map(
  (collectionName) =>
    new Monque(db, { collectionName, pollInterval: 20, defaultConcurrency: 10, changeStreamWakeups: false }),
);
for (const monque of schedulers) {
  monque.worker(workerName, async (job) => {
    ran.push(job._id.toHexString());
    await yieldToLoop();
  });
  monque.on('job:error', ({ error }) => process.stderr.write(`job:error ${error.message}\n`));
}
await Promise.all(schedulers.map((monque) => monque.start()));
await sendToParent({ type: 'ready', instanceIds: schedulers.map((monque) => monque.instanceId) });

await messageFromParent('stop');
await Promise.all(schedulers.map((monque) => monque.stop()));
await sendToParent({ type: 'ran', ids: ran });
// No client.close(): it sends a fire-and-forget `endSessions` (moreToCome) that the embedded
// backend answers anyway, which shifts the serialising relay's replies (see the test report).
process.exit(0);
