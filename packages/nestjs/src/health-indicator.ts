/**
 * A `@nestjs/terminus` health indicator that means something on workers and producers alike.
 * It returns Terminus's result shape without importing `@nestjs/terminus` (an optional peer).
 */
import { InvalidArgumentError, Monque } from '@monque/core';
import { Inject, Injectable } from '@nestjs/common';
import { MonqueLifecycle } from './monque-lifecycle.js';

/** Default of {@link MonqueHealthCheckOptions.timeout}. */
export const DEFAULT_HEALTH_CHECK_TIMEOUT = 2_000;

/** Options of {@link MonqueHealthIndicator.check} and {@link MonqueHealthIndicator.isHealthy}. */
export interface MonqueHealthCheckOptions {
  /**
   * Longest wait (ms) for the database's answer to a `ping`; no answer counts as unreachable. Keep it
   * below your probe's own timeout (Kubernetes: 1 s by default).
   * @defaultValue 2000
   */
  timeout?: number;
}

/** What {@link MonqueHealthIndicator.check} reports. */
export interface MonqueHealthReport {
  /** `'worker'` when this process runs jobs, `'producer'` when it only enqueues (`worker: false`, or not started yet with `manualStart`). */
  role: 'worker' | 'producer';
  /**
   * Whether this process does its part. A worker: the database answered a `ping` in time, and its
   * scheduler runs and its last database command succeeded (`monque.isHealthy()`). A producer: the
   * database answered a `ping` in time.
   */
  healthy: boolean;
  /** Whether the database answered a `ping` within `timeout`. */
  databaseReachable: boolean;
}

/** The result of {@link MonqueHealthIndicator.isHealthy}: Terminus's `HealthIndicatorResult` shape. */
export type MonqueHealthIndicatorResult<Key extends string = string> = Record<
  Key,
  { status: 'up' | 'down'; role: 'worker' | 'producer'; databaseReachable: boolean; message?: string }
>;

/**
 * Monque's health in this process, for `@nestjs/terminus` (`isHealthy(key)`) or any endpoint (`check()`).
 *
 * `monque.isHealthy()` alone is `false` on every producer (it never starts a scheduler), and stays
 * `true` on a worker while its commands hang on a network that drops packets (until
 * `operationTimeout`). So every check sends one `ping`, bounded by `timeout`, and asks what matters
 * for the role:
 * - a worker is up while the `ping` is answered and `monque.isHealthy()` holds (its scheduler runs
 *   and its last command succeeded);
 * - a producer is up while the `ping` is answered.
 *
 * ```ts
 * @Get('health')
 * @HealthCheck()
 * check() {
 *   return this.health.check([() => this.monque.isHealthy('monque', { timeout: 800 })]);
 * }
 * ```
 */
export class MonqueHealthIndicator {
  constructor(
    private readonly monque: Monque,
    private readonly lifecycle: MonqueLifecycle,
  ) {}

  /**
   * Checks Monque's health in this process. An unreachable database is a report, not a rejection.
   * @throws InvalidArgumentError for a `timeout` that is not a positive number
   */
  async check(options: MonqueHealthCheckOptions = {}): Promise<MonqueHealthReport> {
    const timeout = options.timeout ?? DEFAULT_HEALTH_CHECK_TIMEOUT;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      throw new InvalidArgumentError('options.timeout', `expected a positive number of ms, got ${String(timeout)}`);
    }
    const databaseReachable = await this.ping(timeout);
    if (this.lifecycle.role === 'worker') {
      return { role: 'worker', healthy: databaseReachable && this.monque.isHealthy(), databaseReachable };
    }
    return { role: 'producer', healthy: databaseReachable, databaseReachable };
  }

  /**
   * The check as a Terminus health indicator: `{ [key]: { status: 'up' | 'down', role,
   * databaseReachable, message? } }`. Terminus answers 503 when any indicator is `down`.
   * @param key the key of the result in Terminus's report
   * @defaultValue key `'monque'`
   * @throws InvalidArgumentError for a `timeout` that is not a positive number
   */
  async isHealthy<Key extends string = 'monque'>(
    key: Key = 'monque' as Key,
    options: MonqueHealthCheckOptions = {},
  ): Promise<MonqueHealthIndicatorResult<Key>> {
    const report = await this.check(options);
    const details = { role: report.role, databaseReachable: report.databaseReachable };
    if (report.healthy) return { [key]: { status: 'up', ...details } } as MonqueHealthIndicatorResult<Key>;
    const message = !report.databaseReachable
      ? `the database did not answer a ping within ${options.timeout ?? DEFAULT_HEALTH_CHECK_TIMEOUT} ms`
      : this.monque.isRunning
        ? "the scheduler's last database command failed"
        : 'the scheduler is not running';
    return { [key]: { status: 'down', ...details, message } } as MonqueHealthIndicatorResult<Key>;
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

Injectable()(MonqueHealthIndicator);
Inject(Monque)(MonqueHealthIndicator, undefined, 0);
Inject(MonqueLifecycle)(MonqueHealthIndicator, undefined, 1);
