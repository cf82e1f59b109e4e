/**
 * Enqueueing from a Ts.ED service: `Monque` is injectable.
 */
// #region service
import { Monque } from '@monque/tsed';
import { Injectable, inject } from '@tsed/di';
import type { SendEmailData } from './send-email-job.js';

@Injectable()
export class SignupService {
  private readonly monque = inject(Monque);

  async signUp(email: string): Promise<void> {
    // ... create the account, then:
    await this.monque.enqueue<SendEmailData>(
      'send-email',
      { to: email, subject: 'Welcome!' },
      { uniqueKey: `welcome:${email}` },
    );
  }
}
// #endregion service
