/**
 * Mounting the dashboard in a Ts.ED 8 server (Express platform), under /admin/jobs. With
 * `@monque/tsed`, `Monque` is injectable as is; without it, provide the instance yourself
 * (`imports: [{ token: Monque, use: monque }]`). Without an `authorize` hook it answers loopback
 * `Host` names only: add `authorize` (see the Express example), and `allowedHosts` if you want to
 * limit the names it answers to.
 */
import { Monque } from '@monque/core';
import { createDashboard } from '@monque/dashboard';
import { Configuration, Inject, inject } from '@tsed/di';
import { PlatformApplication } from '@tsed/platform-http';
import '@tsed/platform-express';

@Configuration({
  httpPort: false,
  httpsPort: false,
  logger: { level: 'off' },
})
export class Server {
  @Inject(PlatformApplication)
  protected app!: PlatformApplication;

  $beforeRoutesInit(): void {
    this.app.use('/admin/jobs', createDashboard({ monque: inject(Monque) }));
  }
}
