/**
 * The `traceparent` Monque formats and parses itself when no W3C propagator is registered.
 */
import { createTraceState, type SpanContext } from '@opentelemetry/api';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOpenTelemetryApi, type OpenTelemetryApi } from '../../src/telemetry/opentelemetry-api.js';
import { extractTraceContext, formatTraceparent, parseTraceparent } from '../../src/telemetry/trace-context.js';

let api: OpenTelemetryApi;
beforeAll(async () => {
  api = (await loadOpenTelemetryApi()) as OpenTelemetryApi;
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('formats version 00 with two-digit flags', () => {
    const sampled: SpanContext = { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 };
    expect(formatTraceparent(sampled)).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`);
    expect(formatTraceparent({ ...sampled, traceFlags: 0 })).toBe(`00-${TRACE_ID}-${SPAN_ID}-00`);
  });

  it('parses what it formats, as a remote context, with its tracestate', () => {
    const parsed = parseTraceparent(api, `00-${TRACE_ID}-${SPAN_ID}-01`, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    expect(parsed).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1, isRemote: true });
    expect(parsed?.traceState?.get('congo')).toBe('t61rcWkgMzE');
  });

  it('accepts a future version with more fields', () => {
    expect(parseTraceparent(api, `01-${TRACE_ID}-${SPAN_ID}-01-what-comes-next`)?.spanId).toBe(SPAN_ID);
  });

  it.each([
    ['empty', ''],
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['extra fields in version 00', `00-${TRACE_ID}-${SPAN_ID}-01-extra`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ['short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
  ])('refuses %s', (_what, header) => {
    expect(parseTraceparent(api, header)).toBeUndefined();
  });

  it('extracts nothing from a job without a context or with a malformed one', () => {
    expect(extractTraceContext(api, undefined)).toBeUndefined();
    expect(extractTraceContext(api, {})).toBeUndefined();
    expect(extractTraceContext(api, { traceparent: 42 } as never)).toBeUndefined();
    expect(extractTraceContext(api, { traceparent: 'garbage' })).toBeUndefined();
  });

  it('extracts a stored context and ignores a tracestate that is not a string', () => {
    const extracted = extractTraceContext(api, { traceparent: `00-${TRACE_ID}-${SPAN_ID}-00`, tracestate: 7 } as never);
    expect(extracted).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 0 });
    expect(extracted?.traceState).toBeUndefined();
    expect(createTraceState('a=1').serialize()).toBe('a=1');
  });
});
