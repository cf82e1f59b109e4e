/**
 * The sample beside the home page's hero: the gist in a few lines (not a whole program; the
 * quickstart is one).
 */
import { Monque } from '@monque/core';
import { MongoClient } from 'mongodb';

/** Stand-in for a mailer. */
async function sendEmail(to: string, signal: AbortSignal): Promise<void> {
  if (!signal.aborted) console.log('sending to', to);
}

const client = await new MongoClient(process.env.MONGODB_URI ?? 'mongodb://localhost:27017').connect();

// #region hero
const monque = new Monque(client.db('app'));

monque.worker<{ to: string }>('email', async (job, { signal }) => {
  await sendEmail(job.data.to, signal); // throw to retry later
});
await monque.start();

await monque.enqueue('email', { to: 'ada@example.com' }, { priority: 1 });
await monque.schedule('0 3 * * *', 'report', {});
// #endregion hero
