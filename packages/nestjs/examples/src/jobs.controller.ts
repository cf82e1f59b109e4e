import { InjectMonque, Monque } from '@monque/nestjs';
import { BadRequestException, Body, Controller, Get, NotFoundException, Param, Post } from '@nestjs/common';
import type { Jobs } from './jobs';

@Controller()
export class JobsController {
  constructor(@InjectMonque() private readonly monque: Monque<Jobs>) {}

  /** Signs a user up: the welcome e-mail is a job (one per address, whatever the retries of this request). */
  @Post('signups')
  async signUp(@Body() body: { email?: string }) {
    if (typeof body.email !== 'string') throw new BadRequestException('email is required');
    const job = await this.monque.enqueue(
      'send-email',
      { to: body.email, subject: 'Welcome!' },
      { uniqueKey: `welcome:${body.email}` },
    );
    return { jobId: job._id.toHexString() };
  }

  @Post('reports')
  async report(@Body() body: { customerId?: number; durationMs?: number }) {
    const job = await this.monque.enqueue('generate-report', {
      customerId: body.customerId ?? 1,
      durationMs: body.durationMs ?? 5_000,
    });
    return { jobId: job._id.toHexString() };
  }

  @Get('jobs/:id')
  async job(@Param('id') id: string) {
    const job = await this.monque.getJob(id).catch(() => {
      throw new BadRequestException('not a job id');
    });
    if (!job) throw new NotFoundException();
    return { name: job.name, status: job.status, progress: job.progress ?? null, result: job.result ?? null };
  }
}
