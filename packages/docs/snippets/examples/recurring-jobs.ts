import { Monque } from '@monque/core';
import { MongoClient } from 'mongodb';

const uri = process.env.MONGODB_URI;
if (!uri) {
  console.error('MONGODB_URI is not set. Run: MONGODB_URI="mongodb://localhost:27017" npx tsx recurring-jobs.ts');
  process.exit(1);
}

const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
await client.connect();
const monque = new Monque(client.db('ops'));

// Workers and schedules are registered at every boot, on every instance.
monque.worker<{ olderThanDays: number }>('purge-sessions', async (job) => {
  const cutoff = new Date(Date.now() - job.data.olderThanDays * 24 * 60 * 60 * 1000);
  console.log('purging sessions older than', cutoff.toISOString());
});
monque.worker<{ region: string }>('refresh-rates', async (job) => {
  console.log('refreshing exchange rates for', job.data.region);
});
monque.worker('daily-report', async () => {
  console.log('sending the daily report');
});

const schedules = [
  // One document per schedule: calling schedule() again updates it (data, cron, time zone)
  // instead of adding a second one. An unchanged cron keeps the job's next due time.
  await monque.schedule('30 2 * * *', 'purge-sessions', { olderThanDays: 30 }),

  // Two schedules of one job name, told apart by uniqueKey.
  await monque.schedule('0 * * * *', 'refresh-rates', { region: 'eu' }, { uniqueKey: 'eu' }),
  await monque.schedule('0 */6 * * *', 'refresh-rates', { region: 'apac' }, { uniqueKey: 'apac' }),

  // Read in a time zone: 08:00 New York time, winter and summer.
  await monque.schedule('0 8 * * MON-FRI', 'daily-report', {}, { timezone: 'America/New_York' }),
];
for (const job of schedules) {
  const key = job.uniqueKey ? ` (${job.uniqueKey})` : '';
  console.log(`${job.name}${key}: '${job.repeatInterval}', next run ${job.nextRunAt.toISOString()}`);
}

// Graceful shutdown on Ctrl-C (SIGINT) and SIGTERM (what Docker and Kubernetes send):
// no new claims, running jobs finish (up to shutdownTimeout), then the connection is closed.
let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return; // a repeated signal changes nothing
  stopping = true;
  console.log(`${signal}: stopping`);
  await monque.stop();
  await client.close();
  console.log('stopped');
}
process.on('SIGINT', (signal) => void shutdown(signal));
process.on('SIGTERM', (signal) => void shutdown(signal));

await monque.start();
console.log('running; press Ctrl-C to stop');
