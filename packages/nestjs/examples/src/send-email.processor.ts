import { type Job, type JobContext, type MonqueProcessor, Processor } from '@monque/nestjs';
import type { Jobs } from './jobs';
import { MailerService } from './mailer.service';

/** Runs every 'send-email' job: at most 10 at once in this process, 30 s each, 5 attempts. */
@Processor<Jobs>('send-email', { concurrency: 10, timeout: 30_000, maxRetries: 5 })
export class SendEmailProcessor implements MonqueProcessor<Jobs['send-email'], { messageId: string }> {
  constructor(private readonly mailer: MailerService) {}

  async process(job: Job<Jobs['send-email']>, { signal }: JobContext) {
    const messageId = await this.mailer.send(job.data.to, job.data.subject, signal);
    return { messageId }; // stored as job.result
  }
}
