import { MonqueHealthIndicator } from '@monque/nestjs';
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly monque: MonqueHealthIndicator,
  ) {}

  /** 200 while Monque does its part in this process, 503 otherwise (the body says why). */
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.monque.isHealthy('monque', { timeout: 800 })]);
  }
}
