/**
 * A health endpoint that works on workers and producers alike.
 */
// #region health
import { MonqueHealth } from '@monque/tsed';
import { Controller, inject } from '@tsed/di';
import type { PlatformContext } from '@tsed/platform-http';
import { Context } from '@tsed/platform-params';
import { Get, Returns } from '@tsed/schema';

@Controller('/health')
export class HealthController {
  private readonly health = inject(MonqueHealth);

  /** 200 when Monque does its part in this process, 503 otherwise; the body says why. */
  @Get('/')
  @Returns(200)
  @Returns(503)
  async get(@Context() $ctx: PlatformContext) {
    // { role: 'worker' | 'producer', healthy, databaseReachable }; the ping waits at most 800 ms
    const report = await this.health.check({ timeout: 800 });
    $ctx.response.status(report.healthy ? 200 : 503);
    return report;
  }
}
// #endregion health
