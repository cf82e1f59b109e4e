/**
 * Enqueueing from a Ts.ED service: typed through `JobDispatcher`, or by name through `Monque`.
 */
// #region service
import { JobDispatcher } from '@monque/tsed';
import { Injectable, inject } from '@tsed/di';
import { SendEmailJob } from './send-email-job.js';

@Injectable()
export class SignupService {
  private readonly jobs = inject(JobDispatcher);

  async signUp(email: string): Promise<void> {
    // ... create the account, then:
    await this.jobs.enqueue(
      SendEmailJob, // the job name comes from @Job, the payload type from handle(data)
      { to: email, subject: 'Welcome!' },
      { uniqueKey: `welcome:${email}`, priority: 10 }, // any option of monque.enqueue
    );
  }
}
// #endregion service
