import { Monque } from '@monque/core';
import { MongoClient } from 'mongodb';

const uri = process.env.MONGODB_URI;
if (!uri) {
  console.error('MONGODB_URI is not set. Run: MONGODB_URI="mongodb://localhost:27017" npx tsx workflows.ts');
  process.exit(1);
}

const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
await client.connect();
const monque = new Monque(client.db('workflows'));

// Fan-out: one job per page, three at a time.
monque.worker<{ page: number }>('render-page', async (job) => ({ page: job.data.page, bytes: 1_000 * job.data.page }), {
  concurrency: 3,
});

// Fan-in: runs once every page has been rendered, and reads what each returned.
monque.worker<{ title: string }>('merge-pdf', async (job, { dependencies }) => {
  const pages = await dependencies();
  const bytes = pages.reduce((sum, { result }) => sum + (result as { bytes: number }).bytes, 0);
  console.log(`${job.data.title}: merged ${pages.length} pages, ${bytes} bytes`);
  return { file: 'q3-report.pdf', bytes };
});

// Then: e-mail the merged file.
monque.worker<{ to: string }>('email-report', async (job, { dependencies }) => {
  for (const { result } of await dependencies()) {
    console.log(`sent ${(result as { file: string }).file} to ${job.data.to}`);
  }
});

// A flow is written as one unit: the whole tree, or nothing. The parent waits for its children.
const report = await monque.flow({
  name: 'merge-pdf',
  data: { title: 'Q3 report' },
  children: [1, 2, 3, 4].map((page) => ({ name: 'render-page', data: { page } })),
});
console.log(`merge-pdf is ${report.job.status}, waiting for ${report.children.length} pages`);

// dependsOn: any job can wait for jobs that exist already.
const email = await monque.enqueue('email-report', { to: 'cfo@example.com' }, { dependsOn: [report.job._id] });

const sent = new Promise<void>((resolve) => {
  monque.on('job:complete', ({ job }) => {
    if (job._id.equals(email._id)) resolve();
  });
});
await monque.start();
await sent;
await monque.stop();
await client.close();
console.log('done');
