/**
 * A Ts.ED job handler class: dependency injection, per-job options, the handler context and a result.
 */
// #region job
import { Job, type JobContext, type JobHandlerClass } from '@monque/tsed';
import { Injectable, inject } from '@tsed/di';

/** Any injectable service: here, a stand-in for a mail client. */
@Injectable()
export class Mailer {
  async send(to: string, subject: string, signal: AbortSignal): Promise<string> {
    signal.throwIfAborted(); // a real client would take the signal, e.g. fetch(url, { signal })
    console.log(`mail '${subject}' to ${to}`);
    return `msg-${Date.now().toString(36)}`;
  }
}

/** The payload of a `send-email` job. */
export interface SendEmailData {
  to: string;
  subject: string;
}

/** Runs every job named 'send-email': at most 2 at once per instance, 30 s each, 5 attempts. */
@Job({
  name: 'send-email',
  concurrency: 2,
  timeout: 30_000,
  maxRetries: 5,
  backoff: { type: 'exponential', delay: 2_000, maxDelay: 60_000 },
})
export class SendEmailJob implements JobHandlerClass<SendEmailData, { messageId: string }> {
  private readonly mailer = inject(Mailer);

  async handle(data: SendEmailData, job: Job<SendEmailData>, { signal, progress }: JobContext) {
    // signal aborts on timeout, cancelJob(), a lost lock or the shutdown deadline: pass it on.
    const messageId = await this.mailer.send(data.to, data.subject, signal);
    await progress(100); // stored as job.progress, emitted as job:progress
    console.log(`job ${job._id.toHexString()} done (failures before: ${job.failCount})`);
    return { messageId }; // stored as job.result, and in job:complete
  }
}
// #endregion job
