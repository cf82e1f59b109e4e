import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Monque } from '@monque/core';
import { MongoClient } from 'mongodb';

const uri = process.env.MONGODB_URI;
if (!uri) {
  console.error('MONGODB_URI is not set. Run: MONGODB_URI="mongodb://localhost:27017" npx tsx error-retry.ts');
  process.exit(1);
}

interface WebhookCall {
  url: string;
  payload: Record<string, unknown>;
}

// A stand-in receiver on a local port: /flaky answers 503 twice, then 200; /strict answers 400.
let flakyCalls = 0;
const receiver = createServer((request, response) => {
  if (request.url === '/strict') response.statusCode = 400;
  else response.statusCode = ++flakyCalls <= 2 ? 503 : 200;
  response.end();
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
await client.connect();
const monque = new Monque(client.db('webhooks'), {
  maxRetries: 6, // the 6th failure is final
  baseRetryInterval: 250, // retries after 0.5, 1, 2, 4 and 8 s; in production 30_000: 1, 2, 4, 8, 16 min
});

// Non-2xx answers and network errors are retried; 4xx answers are not.
monque.worker<WebhookCall>('call-webhook', async (job) => {
  const response = await fetch(job.data.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(job.data.payload),
  });
  if (response.status >= 400 && response.status < 500) {
    console.warn(`webhook ${job.data.url} rejected the call (${response.status}); not retrying`);
    return; // the job completes: retrying a 4xx would not help
  }
  if (!response.ok) throw new Error(`webhook answered ${response.status}`); // retried
});

monque.on('job:fail', ({ job, error, willRetry }) => {
  const when = willRetry ? `retry at ${job.nextRunAt.toISOString()}` : 'giving up';
  console.warn(`call-webhook ${job._id.toHexString()} failure ${job.failCount}: ${error.message}; ${when}`);
});

const flakyCall = await monque.enqueue<WebhookCall>('call-webhook', {
  url: `${receiverUrl}/flaky`,
  payload: { order: 1 },
});
const strictCall = await monque.enqueue<WebhookCall>('call-webhook', {
  url: `${receiverUrl}/strict`,
  payload: { order: 2 },
});

// Run until both jobs are done.
const remaining = new Set([flakyCall, strictCall].map((job) => job._id.toHexString()));
const allDone = new Promise<void>((resolve) => {
  monque.on('job:complete', ({ job }) => {
    remaining.delete(job._id.toHexString());
    if (remaining.size === 0) resolve();
  });
});
await monque.start();
await allDone;

// What the flaky job's document says now.
const flaky = await monque.getJob<WebhookCall>(flakyCall._id);
if (flaky) {
  console.log(`${flaky.status} after ${flaky.failCount} failures, last: ${flaky.failReason ?? '-'}`);
}

await monque.stop();
await client.close();
receiver.close();
