/**
 * The trace context stored on a job (`trace: { traceparent, tracestate }`, W3C Trace Context):
 * written through the registered propagator, read back the same way. Without a W3C propagator
 * (OpenTelemetry's default propagator does nothing) Monque formats and parses `traceparent`
 * itself, so runs link to their enqueue with no set-up beyond a tracer provider.
 */
import type { Context, Span, SpanContext } from '@opentelemetry/api';
import type { TraceCarrier } from '../store/job-document.js';
import type { OpenTelemetryApi } from './opentelemetry-api.js';

const TRACEPARENT =
  /^(?<version>[\da-f]{2})-(?<traceId>[\da-f]{32})-(?<spanId>[\da-f]{16})-(?<flags>[\da-f]{2})(?<rest>-.*)?$/;

/** `traceparent` of `spanContext` (version 00). */
export function formatTraceparent(spanContext: SpanContext): string {
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/**
 * The span context of a `traceparent` header, or `undefined` when it is not a valid one (version
 * `ff`, all-zero ids, extra fields in version 00, upper-case hex).
 */
export function parseTraceparent(
  api: OpenTelemetryApi,
  traceparent: string,
  tracestate?: string,
): SpanContext | undefined {
  const fields = TRACEPARENT.exec(traceparent.trim())?.groups;
  if (!fields) return undefined;
  const { version, traceId = '', spanId = '', flags = '', rest } = fields;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const spanContext: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16),
    isRemote: true,
  };
  if (tracestate) spanContext.traceState = api.createTraceState(tracestate);
  return api.isSpanContextValid(spanContext) ? spanContext : undefined;
}

/**
 * The carrier to store for an enqueue whose span is `span` in `context`: the global propagator's
 * `traceparent`/`tracestate`, or `span`'s own context formatted here when the propagator wrote no
 * `traceparent`. `undefined` when there is nothing to carry (no valid span context: no tracer
 * provider and no incoming trace), so nothing is added to the job.
 */
export function injectTraceContext(api: OpenTelemetryApi, context: Context, span: Span): TraceCarrier | undefined {
  const headers: Record<string, unknown> = {};
  api.propagation.inject(context, headers);
  const carrier: TraceCarrier = {};
  if (typeof headers.traceparent === 'string') {
    carrier.traceparent = headers.traceparent;
    if (typeof headers.tracestate === 'string' && headers.tracestate !== '') carrier.tracestate = headers.tracestate;
    return carrier;
  }
  const spanContext = span.spanContext();
  if (!api.isSpanContextValid(spanContext)) return undefined;
  carrier.traceparent = formatTraceparent(spanContext);
  const tracestate = spanContext.traceState?.serialize();
  if (tracestate) carrier.tracestate = tracestate;
  return carrier;
}

/**
 * The enqueue's span context stored on a job, through the global propagator or, when it yields
 * none, parsed here. `undefined` for a job without one (enqueued without telemetry, a schedule) or
 * with a malformed one.
 */
export function extractTraceContext(api: OpenTelemetryApi, carrier: TraceCarrier | undefined): SpanContext | undefined {
  const traceparent = carrier?.traceparent;
  if (typeof traceparent !== 'string') return undefined;
  const tracestate = typeof carrier?.tracestate === 'string' ? carrier.tracestate : undefined;
  const headers: Record<string, string> = tracestate === undefined ? { traceparent } : { traceparent, tracestate };
  const extracted = api.trace.getSpanContext(api.propagation.extract(api.ROOT_CONTEXT, headers));
  if (extracted && api.isSpanContextValid(extracted)) return extracted;
  return parseTraceparent(api, traceparent, tracestate);
}
