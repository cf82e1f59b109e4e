import { Injectable, Logger } from '@nestjs/common';

/** Any provider: here a stand-in for a mail client. */
@Injectable()
export class MailerService {
  private readonly logger = new Logger(MailerService.name);

  async send(to: string, subject: string, signal: AbortSignal): Promise<string> {
    signal.throwIfAborted(); // a real client takes the signal: fetch(url, { signal })
    this.logger.log(`mail '${subject}' to ${to}`);
    return `msg-${Date.now().toString(36)}`;
  }
}
