import { type Job, Monque } from '@monque/core';
import { MongoClient } from 'mongodb';

const uri = process.env.MONGODB_URI;
if (!uri) {
  console.error('MONGODB_URI is not set. Run: MONGODB_URI="mongodb://localhost:27017" npx tsx unique-jobs.ts');
  process.exit(1);
}

interface ReindexProduct {
  productId: string;
}

const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
await client.connect();
const monque = new Monque(client.db('shop'));

monque.worker<ReindexProduct>('reindex-product', async (job) => {
  console.log(`reindexing ${job.data.productId}`);
});

/** Enqueues a reindex of a product unless one is already waiting or running. */
function requestReindex(productId: string): Promise<Job<ReindexProduct>> {
  // While a 'reindex-product' job with this key is pending or processing, this returns that job
  // unchanged (same _id, same data, same nextRunAt) instead of adding a second one —
  // also when many processes call it at the same moment: a unique index decides.
  return monque.enqueue('reindex-product', { productId }, { uniqueKey: `product:${productId}` });
}

/** Resolves with the next job that completes. */
function nextCompletion(): Promise<Job> {
  return new Promise((resolve) => monque.once('job:complete', ({ job }) => resolve(job)));
}

// A burst of requests for one product, as from concurrent web requests: one job.
const [first, ...others] = await Promise.all([requestReindex('p-42'), requestReindex('p-42'), requestReindex('p-42')]);
const oneJob = others.every((job) => job._id.equals(first._id));
console.log('one job for the burst:', oneJob);

// Process it. Once it has completed, its key is free: the next request makes a new job.
const firstRun = nextCompletion();
await monque.start();
await firstRun;

const secondRun = nextCompletion();
const again = await requestReindex('p-42');
console.log('a new job after completion:', !again._id.equals(first._id));
await secondRun;

await monque.stop();
await client.close();
