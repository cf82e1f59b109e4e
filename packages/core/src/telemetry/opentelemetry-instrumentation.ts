/**
 * The OpenTelemetry instrumentation: a PRODUCER span per enqueue call, a CONSUMER span per run,
 * and the run metrics (see {@link RunMetrics}).
 *
 * - Enqueue (`enqueue`, `enqueueMany`: one span per call): named `enqueue <job name>`, child of the
 *   caller's active context, `messaging.operation.type` `send`, `messaging.batch.message_count`
 *   for more than one job, `messaging.message.id` when one job was written. Its context is stored
 *   on the jobs (`trace`), and the insert runs inside it (a MongoDB instrumentation's spans nest).
 * - Run: named `process <job name>`, `messaging.operation.type` `process`. Following the messaging
 *   conventions for single-message processing, it LINKS to the enqueue's stored context and is
 *   also its CHILD, so a request, its enqueue and the job's runs form one trace. A job with no
 *   stored context (enqueued without telemetry, or a schedule's occurrence) starts a new trace,
 *   never inside whatever context happened to be active in the scheduler. The handler runs inside
 *   the span: its own spans nest under it. A thrown error is recorded and sets status ERROR.
 */
import type { Attributes, Context, Link, Span, SpanContext, Tracer, TracerProvider } from '@opentelemetry/api';
import type { Instrumentation, RunEnding } from '../engine/instrumentation.js';
import type { JobDocument, TraceCarrier } from '../store/job-document.js';
import type { OpenTelemetryApi } from './opentelemetry-api.js';
import type { RunMetrics } from './run-metrics.js';
import {
  Attr,
  INSTRUMENTATION_SCOPE,
  INSTRUMENTATION_VERSION,
  MESSAGING_SYSTEM,
  Operation,
} from './semantic-conventions.js';
import { extractTraceContext, injectTraceContext } from './trace-context.js';

/** The id of the one job an enqueue wrote, if its result is a job document. */
function writtenJobId(result: unknown): string | undefined {
  // The producer's work resolves to the job, or to `{ doc }` (the job with how it was deduplicated).
  const written = result as { _id?: unknown; doc?: { _id?: unknown } } | null;
  const id = (written?.doc?._id ?? written?._id) as { toHexString?: unknown } | undefined;
  return typeof id?.toHexString === 'function' ? (id.toHexString as () => string)() : undefined;
}

/** A readable message for any thrown value. */
function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return `a non-Error value was thrown: ${typeof error === 'object' ? JSON.stringify(error) : String(error)}`;
  } catch {
    return 'a non-Error value was thrown';
  }
}

/** Calls `work` inside `context`; a synchronous throw becomes a rejection. */
function within<T>(api: OpenTelemetryApi, context: Context, work: () => Promise<T>): Promise<T> {
  try {
    return api.context.with(context, work);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Spans and metrics through `@opentelemetry/api`. Methods are fields: they are copied as they are. */
export class OpenTelemetryInstrumentation implements Instrumentation {
  private tracerOf: { provider: TracerProvider; tracer: Tracer } | undefined;

  /**
   * @param api - the OpenTelemetry API
   * @param explicitTracerProvider - the `telemetry.tracerProvider` option; default: the global one
   * @param metrics - the run metrics
   */
  constructor(
    private readonly api: OpenTelemetryApi,
    private readonly explicitTracerProvider: TracerProvider | undefined,
    private readonly metrics: RunMetrics,
  ) {}

  readonly enqueue = <T>(
    name: string,
    count: number,
    work: (carrier: TraceCarrier | undefined) => Promise<T>,
  ): Promise<T> => {
    const { api } = this;
    const parent = api.context.active();
    const attributes: Attributes = {
      [Attr.SYSTEM]: MESSAGING_SYSTEM,
      [Attr.OPERATION_TYPE]: 'send',
      [Attr.OPERATION_NAME]: Operation.ENQUEUE,
      [Attr.DESTINATION]: name,
    };
    if (count !== 1) attributes[Attr.BATCH_COUNT] = count;
    const span = this.tracer().startSpan(
      `${Operation.ENQUEUE} ${name}`,
      { kind: api.SpanKind.PRODUCER, attributes },
      parent,
    );
    // No provider and no incoming trace: nothing to record or carry, so no wrapping either.
    if (this.inert(span)) return work(undefined);
    const context = api.trace.setSpan(parent, span);
    let carrier: TraceCarrier | undefined;
    try {
      carrier = injectTraceContext(api, context, span);
    } catch (error) {
      // A faulty propagator must not stop the enqueue: the jobs go without a trace context.
      span.recordException(error as Error);
    }
    return within(api, context, () => work(carrier)).then(
      (result) => {
        const id = count === 1 ? writtenJobId(result) : undefined;
        if (id !== undefined) span.setAttribute(Attr.MESSAGE_ID, id);
        span.end();
        return result;
      },
      (error: unknown) => {
        this.failed(span, error);
        throw error;
      },
    );
  };

  readonly run = <T>(job: JobDocument, work: () => Promise<T>): Promise<T> => {
    const { api } = this;
    this.metrics.started(job.name);
    let producer: SpanContext | undefined;
    try {
      producer = extractTraceContext(api, job.trace);
    } catch {
      producer = undefined;
    }
    const parent = producer ? api.trace.setSpanContext(api.ROOT_CONTEXT, producer) : api.ROOT_CONTEXT;
    const links: Link[] = producer ? [{ context: producer }] : [];
    const span = this.tracer().startSpan(
      `${Operation.PROCESS} ${job.name}`,
      {
        kind: api.SpanKind.CONSUMER,
        attributes: {
          [Attr.SYSTEM]: MESSAGING_SYSTEM,
          [Attr.OPERATION_TYPE]: 'process',
          [Attr.OPERATION_NAME]: Operation.PROCESS,
          [Attr.DESTINATION]: job.name,
          [Attr.MESSAGE_ID]: job._id.toHexString(),
          [Attr.FAIL_COUNT]: job.failCount ?? 0,
        },
        links,
      },
      parent,
    );
    // No provider and no stored trace: nothing to record; the handler still runs outside the
    // scheduler's own context.
    if (this.inert(span)) return within(api, parent, work);
    return within(api, api.trace.setSpan(parent, span), work).then(
      (result) => {
        span.end();
        return result;
      },
      (error: unknown) => {
        this.failed(span, error);
        throw error;
      },
    );
  };

  readonly runEnded = (name: string, ending: RunEnding, durationMs: number): void => {
    this.metrics.ended(name, ending, durationMs);
  };

  /** Whether `span` neither records nor carries a trace (the API's no-op tracer gives such spans). */
  private inert(span: Span): boolean {
    if (span.isRecording()) return false;
    const spanContext = span.spanContext();
    return spanContext === this.api.INVALID_SPAN_CONTEXT || !this.api.isSpanContextValid(spanContext);
  }

  /** Records `error` on `span`, sets status ERROR and ends it. */
  private failed(span: Span, error: unknown): void {
    const message = messageOf(error);
    span.recordException(error instanceof Error ? error : message);
    span.setAttribute(Attr.ERROR_TYPE, error instanceof Error ? error.name : '_OTHER');
    span.setStatus({ code: this.api.SpanStatusCode.ERROR, message });
    span.end();
  }

  /** The tracer of the configured provider, or of the global one in force. */
  private tracer(): Tracer {
    const provider = this.explicitTracerProvider ?? this.api.trace.getTracerProvider();
    if (this.tracerOf?.provider !== provider) {
      this.tracerOf = { provider, tracer: provider.getTracer(INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION) };
    }
    return this.tracerOf.tracer;
  }
}
