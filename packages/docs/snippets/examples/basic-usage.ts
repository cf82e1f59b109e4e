import { Monque } from '@monque/core';
import { MongoClient } from 'mongodb';

const uri = process.env.MONGODB_URI;
if (!uri) {
  console.error('MONGODB_URI is not set. Run: MONGODB_URI="mongodb://localhost:27017" npx tsx basic-usage.ts');
  process.exit(1);
}

interface Email {
  to: string;
  subject: string;
  body: string;
}

/** Stand-in for your mail provider's client. */
async function sendEmail(email: Email): Promise<void> {
  console.log(`sending '${email.subject}' to ${email.to}`);
}

const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
await client.connect();
const monque = new Monque(client.db('mail'), { defaultConcurrency: 10 });

// The worker: sends one email per job, up to 10 at once in this process.
monque.worker<Email>('send-email', async (job) => {
  await sendEmail(job.data);
});
monque.on('job:fail', ({ job, error, willRetry }) => {
  console.error(`email to ${(job.data as Email).to} failed: ${error.message}; retry: ${willRetry}`);
});

// What a request handler calls: it resolves once the job is stored, not once the email is sent.
function send(email: Email) {
  return monque.enqueue('send-email', email);
}
// The same, sent later: the job is due at `at`.
function sendAt(email: Email, at: Date) {
  return monque.enqueue('send-email', email, { runAt: at });
}

const jobs = [
  await send({ to: 'ada@example.com', subject: 'Welcome', body: 'Hello Ada' }),
  await sendAt({ to: 'ada@example.com', subject: 'Your first week', body: '…' }, new Date(Date.now() + 1_000)),
];
console.log(`${jobs.length} emails queued`);

// Run until both are sent, then shut down: stop() lets running jobs finish; then close the connection.
const remaining = new Set(jobs.map((job) => job._id.toHexString()));
const allSent = new Promise<void>((resolve) => {
  monque.on('job:complete', ({ job }) => {
    remaining.delete(job._id.toHexString());
    if (remaining.size === 0) resolve();
  });
});
await monque.start();
await allSent;
await monque.stop();
await client.close();
console.log('all emails sent');
