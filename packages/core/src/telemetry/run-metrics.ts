/**
 * The metrics of runs: counters of runs started, completed, failed and cancelled, the histogram of
 * run durations, and the gauge of due jobs, all with `messaging.destination.name` = the job name.
 *
 * Without an explicit `meterProvider`, the global one is looked up at each use (a property read):
 * OpenTelemetry's global meter provider has no proxy, so a provider registered after `new Monque()`
 * would otherwise never be used. The instruments are made once per provider.
 */
import type {
  Attributes,
  Counter,
  Histogram,
  MeterProvider,
  ObservableGauge,
  ObservableResult,
} from '@opentelemetry/api';
import type { RunEnding } from '../engine/instrumentation.js';
import type { DueJobsCache } from './due-jobs.js';
import type { OpenTelemetryApi } from './opentelemetry-api.js';
import {
  Attr,
  DURATION_BUCKETS,
  INSTRUMENTATION_SCOPE,
  INSTRUMENTATION_VERSION,
  MESSAGING_SYSTEM,
  Metric,
  Operation,
} from './semantic-conventions.js';

/** The attributes of one job name: of the counters, and of the histogram by outcome. */
interface NameAttributes {
  readonly counted: Attributes;
  readonly timed: Record<RunEnding, Attributes>;
}

interface Instruments {
  readonly provider: MeterProvider;
  readonly started: Counter;
  readonly ended: Record<RunEnding, Counter>;
  readonly duration: Histogram;
  readonly due: ObservableGauge | undefined;
  readonly observeDue: ((result: ObservableResult) => Promise<void>) | undefined;
}

/**
 * The gauge's callback. It holds the cache only weakly: a `Monque` instance that is no longer
 * referenced is not kept alive by the meter provider; once it is collected, the callback removes
 * itself.
 */
function dueJobsCallback(cache: DueJobsCache, gauge: () => ObservableGauge | undefined) {
  const ref = new WeakRef(cache);
  const callback = async (result: ObservableResult): Promise<void> => {
    const current = ref.deref();
    if (!current) {
      gauge()?.removeCallback(callback);
      return;
    }
    for (const [name, count] of await current.read()) {
      result.observe(count, { [Attr.SYSTEM]: MESSAGING_SYSTEM, [Attr.DESTINATION]: name });
    }
  };
  return callback;
}

/** Records run metrics on the configured or the global meter provider. */
export class RunMetrics {
  private instruments: Instruments | undefined;
  private readonly attributesByName = new Map<string, NameAttributes>();

  /**
   * @param api - the OpenTelemetry API
   * @param explicitProvider - the `telemetry.meterProvider` option; default: the global provider
   * @param dueJobs - figures for the due-jobs gauge; default: no gauge
   */
  constructor(
    private readonly api: OpenTelemetryApi,
    private readonly explicitProvider: MeterProvider | undefined,
    private readonly dueJobs: DueJobsCache | undefined,
  ) {
    this.current();
  }

  /** A run of `name` started. */
  started(name: string): void {
    this.current().started.add(1, this.attributes(name).counted);
  }

  /** A run of `name` ended as `ending` after `durationMs`. */
  ended(name: string, ending: RunEnding, durationMs: number): void {
    const instruments = this.current();
    const { counted, timed } = this.attributes(name);
    instruments.ended[ending].add(1, counted);
    instruments.duration.record(durationMs / 1000, timed[ending]);
  }

  /**
   * The attribute sets of `name`, made once (for up to 1000 names): building them per call costs
   * microseconds (an object spread with computed keys is a slow path in V8).
   */
  private attributes(name: string): NameAttributes {
    let attributes = this.attributesByName.get(name);
    if (!attributes) {
      const timed = (outcome: RunEnding): Attributes => ({
        [Attr.SYSTEM]: MESSAGING_SYSTEM,
        [Attr.DESTINATION]: name,
        [Attr.OPERATION_NAME]: Operation.PROCESS,
        [Attr.OUTCOME]: outcome,
      });
      attributes = {
        counted: { [Attr.SYSTEM]: MESSAGING_SYSTEM, [Attr.DESTINATION]: name },
        timed: {
          completed: timed('completed'),
          failed: { ...timed('failed'), [Attr.ERROR_TYPE]: '_OTHER' },
          cancelled: timed('cancelled'),
        },
      };
      if (this.attributesByName.size < 1000) this.attributesByName.set(name, attributes);
    }
    return attributes;
  }

  /** The instruments of the provider in force, made when it changed. */
  private current(): Instruments {
    const provider = this.explicitProvider ?? this.api.metrics.getMeterProvider();
    if (this.instruments?.provider === provider) return this.instruments;
    const previous = this.instruments;
    if (previous?.due && previous.observeDue) previous.due.removeCallback(previous.observeDue);
    const meter = provider.getMeter(INSTRUMENTATION_SCOPE, INSTRUMENTATION_VERSION);
    const counter = (metricName: string, description: string) =>
      meter.createCounter(metricName, { description, unit: '{run}' });
    const due = this.dueJobs
      ? meter.createObservableGauge(Metric.DUE, { description: 'Pending jobs due now, per job name', unit: '{job}' })
      : undefined;
    const observeDue = this.dueJobs ? dueJobsCallback(this.dueJobs, () => due) : undefined;
    if (due && observeDue) due.addCallback(observeDue);
    this.instruments = {
      provider,
      started: counter(Metric.STARTED, 'Runs started (handler calls)'),
      ended: {
        completed: counter(Metric.COMPLETED, 'Runs that completed (their outcome stored)'),
        failed: counter(Metric.FAILED, 'Runs that failed (their outcome stored), retried or not'),
        cancelled: counter(Metric.CANCELLED, 'Runs cancelled while running (their outcome stored)'),
      },
      duration: meter.createHistogram(Metric.DURATION, {
        description: 'Duration of runs, from the handler call to the outcome decided',
        unit: 's',
        advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
      }),
      due,
      observeDue,
    };
    return this.instruments;
  }
}
