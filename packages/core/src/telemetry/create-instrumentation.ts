/**
 * Chooses the instrumentation of an instance: OpenTelemetry when it is wanted and available,
 * otherwise hooks that do nothing.
 *
 * `@opentelemetry/api` is an optional peer dependency, loaded on the first instance that wants
 * telemetry (see `opentelemetry-api.ts`). Until it has loaded, enqueues and runs wait for it (once
 * per process; later instances are set up at once). Without the package, every hook is the no-op.
 */
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { type Instrumentation, noInstrumentation } from '../engine/instrumentation.js';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';
import type { Logger, TelemetryOptions } from '../monque-options.js';
import { describeValue } from '../validation.js';
import { DeferredInstrumentation } from './deferred-instrumentation.js';
import { DueJobsCache, type DueJobsSource } from './due-jobs.js';
import {
  type ApiLoader,
  loadedOpenTelemetryApi,
  loadOpenTelemetryApi,
  type OpenTelemetryApi,
} from './opentelemetry-api.js';
import { OpenTelemetryInstrumentation } from './opentelemetry-instrumentation.js';
import { RunMetrics } from './run-metrics.js';

/** What the instrumentation may use besides the options. */
export interface TelemetrySources {
  /** Figures of the `monque.jobs.due` gauge; default: no such gauge. */
  readonly dueJobs?: DueJobsSource;
  /** Told when explicit providers are given but `@opentelemetry/api` cannot be loaded. */
  readonly logger?: Pick<Logger, 'warn'>;
  /** Loads the API; default: `import('@opentelemetry/api')` once per process (tests replace it). */
  readonly loadApi?: ApiLoader;
}

function checkProvider(value: unknown, option: string, method: string): void {
  if (value === undefined) return;
  const usable =
    typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[method] === 'function';
  if (!usable) {
    throw new InvalidArgumentError(
      `options.telemetry.${option}`,
      `expected an OpenTelemetry ${option === 'tracerProvider' ? 'TracerProvider' : 'MeterProvider'} (with ${method}()), got ${describeValue(value)}`,
    );
  }
}

function build(api: OpenTelemetryApi, telemetry: TelemetryOptions, sources: TelemetrySources): Instrumentation {
  const dueJobs = sources.dueJobs ? new DueJobsCache(sources.dueJobs) : undefined;
  const metrics = new RunMetrics(api, telemetry.meterProvider as MeterProvider | undefined, dueJobs);
  return new OpenTelemetryInstrumentation(api, telemetry.tracerProvider as TracerProvider | undefined, metrics);
}

/**
 * The instrumentation for the `telemetry` option (`false`: none).
 * @throws InvalidArgumentError when `tracerProvider` or `meterProvider` is not one
 */
export function createInstrumentation(
  telemetry: TelemetryOptions | false,
  sources: TelemetrySources = {},
): Instrumentation {
  if (telemetry === false) return noInstrumentation;
  checkProvider(telemetry.tracerProvider, 'tracerProvider', 'getTracer');
  checkProvider(telemetry.meterProvider, 'meterProvider', 'getMeter');
  const loadApi = sources.loadApi ?? loadOpenTelemetryApi;
  const loaded = loadApi === loadOpenTelemetryApi ? loadedOpenTelemetryApi() : undefined;
  if (loaded) return build(loaded, telemetry, sources);
  const explicit = telemetry.tracerProvider !== undefined || telemetry.meterProvider !== undefined;
  return new DeferredInstrumentation(
    loadApi().then(
      (api) => {
        if (api) return build(api, telemetry, sources);
        if (explicit) {
          sources.logger?.warn(
            'telemetry providers were given, but @opentelemetry/api could not be loaded from @monque/core: no spans or metrics',
          );
        }
        return noInstrumentation;
      },
      () => noInstrumentation,
    ),
  );
}
