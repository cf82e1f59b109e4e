import { setTimeout as sleep } from 'node:timers/promises';
import { type Job, type JobContext, type MonqueProcessor, Processor } from '@monque/nestjs';
import { Logger } from '@nestjs/common';
import type { Jobs } from './jobs';

/** A long job: it reports progress and stops when its signal aborts (timeout, cancelJob, shutdown deadline). */
@Processor<Jobs>('generate-report', { concurrency: 2 })
export class ReportProcessor implements MonqueProcessor<Jobs['generate-report']> {
  private readonly logger = new Logger(ReportProcessor.name);

  async process(job: Job<Jobs['generate-report']>, { signal, progress }: JobContext) {
    this.logger.log(`report for customer ${job.data.customerId} started`);
    const steps = 10;
    for (let step = 1; step <= steps; step += 1) {
      await sleep(job.data.durationMs / steps, undefined, { signal });
      await progress({ step, of: steps });
    }
    this.logger.log(`report for customer ${job.data.customerId} done`);
    return { rows: 42 };
  }
}
