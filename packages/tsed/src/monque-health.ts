/**
 * A health signal that means something on every process: workers and producers alike.
 */
import { InvalidArgumentError, Monque } from '@monque/core';
import { inject, injectable } from '@tsed/di';
import { MonqueModule } from './monque-module.js';

/** Default of {@link MonqueHealthCheckOptions.timeout}. */
export const DEFAULT_HEALTH_CHECK_TIMEOUT = 2_000;

/** What {@link MonqueHealth.check} reports. */
export interface MonqueHealthReport {
  /** `'worker'` when this process runs jobs, `'producer'` when it only enqueues (`disableJobProcessing`). */
  role: 'worker' | 'producer';
  /**
   * Whether this process does its part. A worker: its scheduler runs and its last database command
   * succeeded (`monque.isHealthy()`). A producer: the database answered a `ping` in time.
   */
  healthy: boolean;
  /** Whether the database answers: the worker's last command succeeded, or it answered a `ping` in time. */
  databaseReachable: boolean;
}

/** Options of {@link MonqueHealth.check}. */
export interface MonqueHealthCheckOptions {
  /**
   * Longest time (ms) to wait for the database's answer to a `ping`; no answer counts as
   * unreachable. Keep it below your probe's own timeout (Kubernetes: 1 s by default).
   * @defaultValue 2000
   */
  timeout?: number;
}

/**
 * The health of Monque in this process, for readiness and liveness endpoints.
 *
 * `monque.isHealthy()` alone is `false` on every producer (it never starts a scheduler), so an
 * endpoint built on it alone fails every API process. `check()` asks what matters for the role:
 * - a worker is healthy while `monque.isHealthy()` holds (no round trip when it does; otherwise one
 *   `ping` tells a stopped scheduler from an unreachable database);
 * - a producer is healthy while the database answers a `ping` within `timeout`.
 *
 * ```ts
 * @Controller('/health')
 * class HealthController {
 *   private readonly health = inject(MonqueHealth);
 *
 *   @Get('/')
 *   async get() {
 *     const report = await this.health.check();
 *     if (!report.healthy) throw new ServiceUnavailable(JSON.stringify(report));
 *     return report;
 *   }
 * }
 * ```
 */
export class MonqueHealth {
  private readonly monque = inject(Monque);
  private readonly module = inject(MonqueModule);

  /**
   * Checks Monque's health in this process. An unreachable database is a report, not a rejection.
   * @throws InvalidArgumentError for a `timeout` that is not a positive number
   */
  async check(options: MonqueHealthCheckOptions = {}): Promise<MonqueHealthReport> {
    const timeout = options.timeout ?? DEFAULT_HEALTH_CHECK_TIMEOUT;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      throw new InvalidArgumentError('options.timeout', `expected a positive number of ms, got ${String(timeout)}`);
    }
    if (this.module.role === 'worker') {
      const healthy = this.monque.isHealthy();
      return { role: 'worker', healthy, databaseReachable: healthy || (await this.ping(timeout)) };
    }
    const databaseReachable = await this.ping(timeout);
    return { role: 'producer', healthy: databaseReachable, databaseReachable };
  }

  /** `true` when the database answers a `ping` within `timeout` ms. */
  private ping(timeout: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeout);
    });
    return Promise.race([this.monque.ping(), timedOut]).finally(() => clearTimeout(timer));
  }
}

injectable(MonqueHealth);
