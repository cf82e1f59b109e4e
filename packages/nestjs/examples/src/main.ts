import 'reflect-metadata';
import { createDashboard } from '@monque/dashboard';
import { Monque } from '@monque/nestjs';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  // SIGTERM (Kubernetes, systemd, docker stop) and SIGINT (Ctrl-C): running jobs finish and store
  // their outcome, then the process exits 0 (useProcessExit needs Nest 11.2 or later).
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  // The dashboard: it answers loopback Host names only, unless you give it an `authorize` hook or
  // `allowedHosts` (see the dashboard guide before you expose it).
  app.use('/admin/jobs', createDashboard({ monque: app.get<Monque>(Monque) }));
  await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
  console.log(`listening on ${await app.getUrl()}`);
}

bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
