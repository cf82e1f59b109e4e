/**
 * Example: a small service that sends emails in the background.
 */
// #region example
import { Monque } from '@monque/core';
import { MongoClient } from 'mongodb';

interface EmailJob {
  to: string;
  subject: string;
  body: string;
}

/** Stand-in for your mail provider's client. */
async function sendEmail(email: EmailJob): Promise<void> {
  console.log(`sending '${email.subject}' to ${email.to}`);
}

/** Starts the scheduler and returns a function that enqueues an email. */
export async function startEmailService(uri: string) {
  const client = new MongoClient(uri);
  await client.connect();
  const monque = new Monque(client.db('mail'), { defaultConcurrency: 10 });

  monque.worker<EmailJob>('send-email', async (job) => {
    await sendEmail(job.data);
  });
  monque.on('job:fail', ({ job, error, willRetry }) => {
    console.error(`email to ${(job.data as EmailJob).to} failed: ${error.message}; retry: ${willRetry}`);
  });

  await monque.start();

  return {
    /** Enqueues an email; resolves once the job is stored (not once it is sent). */
    send: (email: EmailJob) => monque.enqueue('send-email', email),
    /** Sends later: the job is due at `at`. */
    sendAt: (email: EmailJob, at: Date) => monque.enqueue('send-email', email, { runAt: at }),
    /** Stops the scheduler, then closes the connection. */
    close: async () => {
      await monque.stop();
      await client.close();
    },
  };
}
// #endregion example
