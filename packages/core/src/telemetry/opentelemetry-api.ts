/**
 * Loads `@opentelemetry/api`, an optional peer dependency, at most once per process.
 *
 * A dynamic `import()` works the same in the ESM and the CommonJS build (tsdown keeps it as is in
 * both, and Node runs it in both), and a missing package is only a rejected promise: no
 * `createRequire(import.meta.url)`, which does not exist in the CommonJS output. The types are
 * imported type-only and never reach the published declarations.
 */
import type * as OpenTelemetryApiModule from '@opentelemetry/api';

/** The `@opentelemetry/api` module. */
export type OpenTelemetryApi = typeof OpenTelemetryApiModule;

/** Resolves to the API, or `undefined` when it is not installed (or not loadable). */
export type ApiLoader = () => Promise<OpenTelemetryApi | undefined>;

let loading: Promise<OpenTelemetryApi | undefined> | undefined;
let loaded: OpenTelemetryApi | undefined;

/**
 * The module's exports, whichever way the runtime handed them over: Node's ESM loader gives a
 * CommonJS package's `module.exports` as `default` (named exports only where it could detect
 * them), a bundler or `require` gives them directly.
 */
function exportsOf(namespace: unknown): OpenTelemetryApi | undefined {
  const candidates = [namespace, (namespace as { default?: unknown } | null)?.default];
  return candidates.find(
    (candidate): candidate is OpenTelemetryApi =>
      typeof candidate === 'object' &&
      candidate !== null &&
      typeof (candidate as Partial<OpenTelemetryApi>).trace?.getTracerProvider === 'function' &&
      typeof (candidate as Partial<OpenTelemetryApi>).metrics?.getMeterProvider === 'function' &&
      typeof (candidate as Partial<OpenTelemetryApi>).propagation?.inject === 'function' &&
      typeof (candidate as Partial<OpenTelemetryApi>).SpanKind === 'object',
  );
}

/** Loads the API once; later calls share the same promise. */
export const loadOpenTelemetryApi: ApiLoader = () => {
  loading ??= import('@opentelemetry/api').then(
    (namespace) => {
      loaded = exportsOf(namespace);
      return loaded;
    },
    () => undefined,
  );
  return loading;
};

/** The API if {@link loadOpenTelemetryApi} has already loaded it (synchronously). */
export function loadedOpenTelemetryApi(): OpenTelemetryApi | undefined {
  return loaded;
}
