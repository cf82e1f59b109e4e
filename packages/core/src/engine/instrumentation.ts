/**
 * Hooks for tracing and metrics around enqueues and runs. Monque calls them at fixed points; the
 * default does nothing, and the OpenTelemetry implementation (`telemetry/`) is used when
 * `@opentelemetry/api` is installed.
 */
import type { JobDocument, TraceCarrier } from '../store/job-document.js';

/** How a run ended, for metrics. */
export type RunEnding = 'completed' | 'failed' | 'cancelled';

/** Tracing and metrics hooks. */
export interface Instrumentation {
  /**
   * Wraps an enqueue of `count` jobs named `name` (a producer span); `work` gets the trace context
   * to store on the jobs, so their runs link to it.
   */
  enqueue<T>(name: string, count: number, work: (carrier: TraceCarrier | undefined) => Promise<T>): Promise<T>;
  /** Wraps one run's handler call (a consumer span, linked to the job's stored trace context). */
  run<T>(job: JobDocument, work: () => Promise<T>): Promise<T>;
  /** A run ended after `durationMs`. */
  runEnded(name: string, ending: RunEnding, durationMs: number): void;
}

/** The hooks used without telemetry: no spans, no metrics, no cost. */
export const noInstrumentation: Instrumentation = {
  enqueue: (_name, _count, work) => work(undefined),
  run: (_job, work) => work(),
  runEnded: () => {},
};
