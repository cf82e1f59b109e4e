/**
 * A Ts.ED job handler class with dependency injection.
 */
// #region job
import { Job, type JobHandlerClass } from '@monque/tsed';
import { Injectable, inject } from '@tsed/di';

/** Any injectable service: here, a stand-in for a mail client. */
@Injectable()
export class Mailer {
  async send(to: string, subject: string): Promise<void> {
    console.log(`mail '${subject}' to ${to}`);
  }
}

/** The payload of a `send-email` job. */
export interface SendEmailData {
  to: string;
  subject: string;
}

/** Runs every job named 'send-email', at most 2 at once per instance. */
@Job({ name: 'send-email', concurrency: 2 })
export class SendEmailJob implements JobHandlerClass<SendEmailData> {
  private readonly mailer = inject(Mailer);

  async handle(data: SendEmailData, job: Job<SendEmailData>): Promise<void> {
    // A throw or rejection fails the run; it is retried with backoff like any Monque job.
    await this.mailer.send(data.to, data.subject);
    console.log(`job ${job._id.toHexString()} done (failures before: ${job.failCount})`);
  }
}
// #endregion job
