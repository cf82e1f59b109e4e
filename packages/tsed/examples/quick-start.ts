import { Job, Monque, type MonqueModuleOptions } from '@monque/tsed';
import { destroyInjector, Injectable, inject, injector } from '@tsed/di';
import type { Db } from 'mongodb';

/** An ordinary service: job classes get it injected like anywhere else. */
@Injectable()
export class Mailer {
  readonly sent: string[] = [];

  async send(to: string, subject: string): Promise<void> {
    this.sent.push(`${to}: ${subject}`);
  }
}

/** Runs every job named 'send-welcome-email', at most two at once per process. */
@Job({ name: 'send-welcome-email', concurrency: 2 })
export class SendWelcomeEmailJob {
  constructor(private readonly mailer: Mailer) {}

  async handle(data: { email: string }, job: Job<{ email: string }>): Promise<void> {
    await this.mailer.send(data.email, `Welcome! (job ${job._id.toHexString()})`);
  }
}

/** A recurring job: one per name, however many times and places the app boots. */
@Job({ name: 'purge-expired-sessions', cron: '0 3 * * *' })
export class PurgeExpiredSessionsJob {
  async handle(): Promise<void> {
    // delete expired sessions here
  }
}

/** What a controller calls: it enqueues through the injected Monque. */
@Injectable()
export class SignupService {
  constructor(private readonly monque: Monque) {}

  signUp(email: string): Promise<Job<{ email: string }>> {
    return this.monque.enqueue('send-welcome-email', { email });
  }
}

/** Boots the DI container on `db`, signs a user up, waits for the e-mail job, shuts down. */
export async function main(db: Db, options: MonqueModuleOptions = {}): Promise<string[]> {
  injector().settings.set('monque', { connection: db, ...options });
  await injector().load(); // $onInit: workers registered, cron job scheduled, scheduler started

  const monque = inject(Monque);
  const emailSent = new Promise((resolve) => monque.once('job:complete', resolve));
  await inject(SignupService).signUp('ada@example.com');
  await emailSent;

  const sent = inject(Mailer).sent;
  await destroyInjector(); // $onDestroy: stops the scheduler, waiting for running jobs
  return sent;
}
