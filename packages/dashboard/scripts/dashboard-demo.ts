/**
 * `npm run dashboard`: the dashboard against the embedded MongoDB-compatible server (or
 * MONGODB_URI), with demo jobs of several names and states and workers running them.
 *
 *   npm run dashboard                 http://127.0.0.1:3000/
 *   npm run dashboard -- --port 0     any free port
 *
 * Ctrl-C stops the workers, the server and the embedded backend.
 */

import { Monque } from '@monque/core';
import { MongoClient } from 'mongodb';
import { chooseDemoBackend } from '../../../examples/demo/backend.js';
import { startStandaloneServer } from '../src/standalone-server.js';
import { enqueueDemoJobs, registerDemoWorkers, trickle } from './demo-jobs.js';
import { ensureUiBuilt } from './ensure-ui-built.js';

function portArgument(): number {
  const index = process.argv.indexOf('--port');
  const value = index >= 0 ? process.argv[index + 1] : process.env.PORT;
  if (value === undefined) return 3000;
  if (!/^\d+$/.test(value) || Number(value) > 65_535) {
    process.stderr.write(`error: --port ${value} is not a port number\n`);
    process.exit(2);
  }
  return Number(value);
}

const port = portArgument();
const built = await ensureUiBuilt();
if (built !== null) process.stdout.write(`built the dashboard UI in ${built} ms\n`);

const backend = await chooseDemoBackend();
process.stdout.write(`MongoDB: ${backend.description}\n`);
const client = new MongoClient(backend.uri, { serverSelectionTimeoutMS: 10_000 });
await client.connect();
const db = client.db('monque_dashboard_demo');
const collectionName = backend.startedByDemo ? 'jobs' : `jobs_${Date.now().toString(36)}`;
if (backend.startedByDemo) await db.collection(collectionName).deleteMany({});

const monque = new Monque(db, { collectionName, pollInterval: 250, baseRetryInterval: 1000 });
registerDemoWorkers(monque);
await enqueueDemoJobs(monque);
await monque.start();
const stopTrickle = new AbortController();
const trickling = trickle(monque, stopTrickle.signal);

const server = await startStandaloneServer({ db, collectionName, port, host: '127.0.0.1' });
process.stdout.write(`\nMonque dashboard: ${server.url}  (collection ${collectionName}; Ctrl-C to stop)\n`);
process.stdout.write(
  `CLI: MONGODB_URI='${backend.uri}' npm run monque -w packages/dashboard -- stats --db monque_dashboard_demo --collection ${collectionName}\n`,
);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nstopping…\n');
  stopTrickle.abort();
  await trickling;
  await monque.stop();
  await server.close();
  await client.close();
  await backend.stop();
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
