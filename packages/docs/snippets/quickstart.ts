import { Monque } from '@monque/core';
import { MongoClient } from 'mongodb';

// Where MongoDB is: set MONGODB_URI before running this file.
const uri = process.env.MONGODB_URI;
if (!uri) {
  console.error('MONGODB_URI is not set. Run: MONGODB_URI="mongodb://localhost:27017" npx tsx quickstart.ts');
  process.exit(1);
}

// The payload of a 'send-welcome-email' job.
interface WelcomeEmail {
  to: string;
  name: string;
}

// Give up after 5 s when no server answers (the driver's default is 30 s).
const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
await client.connect();

// 1. Create the scheduler on a database. No I/O happens here.
const monque = new Monque(client.db('quickstart'));

// 2. Register a worker: the handler of jobs named 'send-welcome-email'.
//    Throwing (or rejecting) fails the run; it is retried with backoff.
monque.worker<WelcomeEmail>('send-welcome-email', async (job) => {
  console.log(`Welcome, ${job.data.name}! (an email to ${job.data.to})`);
});

// 3. Enqueue two jobs: one due now, one due in two seconds.
//    Enqueuing needs no start(): any process can do it.
const ada: WelcomeEmail = { to: 'ada@example.com', name: 'Ada' };
const grace: WelcomeEmail = { to: 'grace@example.com', name: 'Grace' };
const jobs = [
  await monque.enqueue('send-welcome-email', ada),
  await monque.enqueue('send-welcome-email', grace, { runAt: new Date(Date.now() + 2_000) }),
];

// 4. Listen to what happens, and note when both jobs are done.
const remaining = new Set(jobs.map((job) => job._id.toHexString()));
const bothCompleted = new Promise<void>((resolve) => {
  monque.on('job:complete', ({ job, duration }) => {
    console.log(`${job.name} ${job._id.toHexString()} completed in ${duration} ms`);
    remaining.delete(job._id.toHexString());
    if (remaining.size === 0) resolve();
  });
});
monque.on('job:fail', ({ job, error, willRetry }) => {
  console.error(`${job.name} failed: ${error.message}${willRetry ? ' (will retry)' : ''}`);
});

// 5. Start processing: creates the indexes, then claims due jobs.
await monque.start();
await bothCompleted;

// 6. Stop gracefully (no new claims; running jobs may finish), then close the connection.
await monque.stop();
await client.close();
console.log('done');
