import { MonqueModule } from '@monque/nestjs';
import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { JobEvents } from './job-events';
import { JobsController } from './jobs.controller';
import { MailerService } from './mailer.service';
import { ReportProcessor } from './report.processor';
import { SendEmailProcessor } from './send-email.processor';

@Module({
  imports: [
    TerminusModule,
    MonqueModule.forRoot({
      // The database named in the URI holds the jobs; the module connects at boot and closes on shutdown.
      uri: process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/shop',
      shutdownTimeout: 25_000, // below the orchestrator's grace period (Kubernetes: 30 s)
    }),
  ],
  controllers: [JobsController, HealthController],
  providers: [MailerService, SendEmailProcessor, ReportProcessor, JobEvents],
})
export class AppModule {}
