/**
 * Enqueueing by job name through the injected `Monque`.
 */
// #region service
import { Monque } from '@monque/tsed';
import { Injectable, inject } from '@tsed/di';
import type { SendEmailData } from './send-email-job.js';

@Injectable()
export class ReminderService {
  private readonly monque = inject(Monque);

  async remindTomorrow(email: string): Promise<void> {
    const runAt = new Date(Date.now() + 24 * 60 * 60 * 1000);
    await this.monque.enqueue<SendEmailData>('send-email', { to: email, subject: 'Reminder' }, { runAt });
  }
}
// #endregion service
