/**
 * Testing a processor without a database: a testing module with the processor and a stand-in for
 * its dependency, and a call to `process`.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { type Job, type JobContext, type MonqueProcessor, Processor } from '@monque/nestjs';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';

@Injectable()
export class Mailer {
  async send(to: string): Promise<string> {
    throw new Error(`a real mail client would write to ${to}`);
  }
}

@Processor('welcome-email')
export class WelcomeEmailProcessor implements MonqueProcessor<{ to: string }, { messageId: string }> {
  constructor(private readonly mailer: Mailer) {}

  async process(job: Job<{ to: string }>, _context: JobContext) {
    return { messageId: await this.mailer.send(job.data.to) };
  }
}

// #region unit
export async function welcomeEmailIsSent(): Promise<void> {
  const sent: string[] = [];
  const moduleRef = await Test.createTestingModule({
    providers: [
      WelcomeEmailProcessor,
      {
        provide: Mailer,
        useValue: {
          async send(to: string) {
            sent.push(to);
            return 'msg-1';
          },
        },
      },
    ],
  }).compile(); // compile() runs no lifecycle hook: no MonqueModule is needed

  const processor = moduleRef.get(WelcomeEmailProcessor);
  const job = { data: { to: 'ada@example.com' } } as Job<{ to: string }>;
  const context = { signal: new AbortController().signal, progress: async () => {} } as unknown as JobContext;

  deepStrictEqual(await processor.process(job, context), { messageId: 'msg-1' });
  deepStrictEqual(sent, ['ada@example.com']);
}
// #endregion unit
