/**
 * Producing jobs: `enqueue`, `enqueueMany`, `schedule` and `unschedule`. Each checks its input
 * (nothing is written on bad input), makes its store call bounded by `operationTimeout` (database
 * errors reach the caller as `ConnectionError`) and hints the poller of the new due time. Enqueues
 * with a deduplication mode go through the {@link Deduplicator} and report `job:deduplicated`.
 */
import type { ClientSession } from 'mongodb';
import { databaseCall, OutcomeUnknownError } from './database-errors.js';
import type { Deduplicator, ManyResult } from './deduplicator.js';
import type { DependentJob, DependentJobs } from './dependent-jobs.js';
import type { EnqueueCoalescer, Submission } from './engine/enqueue-coalescer.js';
import type { Instrumentation } from './engine/instrumentation.js';
import { ConnectionError } from './errors/connection-error.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { InvalidCronError } from './errors/invalid-cron-error.js';
import type { DeduplicationOutcome } from './event-map.js';
import type { FlowNode, FlowOptions } from './flow-spec.js';
import type { FlowWriter } from './flow-writer.js';
import { JobStatus } from './job.js';
import type { EnqueueManyItem, EnqueueOptions, ScheduleOptions } from './job-options.js';
import type { Clock } from './monque-options.js';
import { isValidTimezone, nextCronTime, validateCronExpression } from './schedule/cron.js';
import type { InsertStore, NewJob } from './store/insert-store.js';
import type { JobDocument } from './store/job-document.js';
import type { ObjectIds } from './store/object-ids.js';
import type { ScheduleStore } from './store/schedule-store.js';
import { WriteLedger } from './store/write-ledger.js';
import { checkData } from './validation/data.js';
import { dedupeModeOf } from './validation/dedupe-options.js';
import { checkDependsOn } from './validation/dependencies.js';
import { checkFlowSpec } from './validation/flow-spec.js';
import {
  checkEnqueueOptions,
  checkScheduleOptions,
  checkSession,
  checkUnscheduleOptions,
} from './validation/job-options.js';
import { checkName, checkOptionsObject, describeValue } from './validation.js';

/** Most jobs one `enqueueMany` call takes. */
export const MAX_ENQUEUE_MANY = 10_000;

/** What the producer needs. */
export interface ProducerDeps {
  readonly inserts: InsertStore;
  readonly schedules: ScheduleStore;
  readonly coalescer: EnqueueCoalescer;
  readonly deduplicator: Deduplicator;
  readonly clock: Clock;
  readonly instrumentation: Instrumentation;
  readonly operationTimeout: number;
  /** The BSON major version of the `Db`'s driver (payload values of another copy are refused). */
  readonly bsonVersion: unknown;
  /** Resolves once the indexes exist. */
  readonly ready: () => Promise<void>;
  /** A job of `name` is pending from `at`: wake this instance's poller in time. */
  readonly hint: (name: string, at: Date) => void;
  /** Job ids of the `Db`'s driver. */
  readonly ids: ObjectIds;
  /** Enqueues jobs with dependencies. */
  readonly dependents: DependentJobs;
  /** Writes flows. */
  readonly flows: FlowWriter;
  /** An enqueue with a deduplication mode created no job: emit `job:deduplicated`. */
  readonly deduplicated: (doc: JobDocument, outcome: DeduplicationOutcome) => void;
}

const TRANSACTION_LABELS = ['TransientTransactionError', 'UnknownTransactionCommitResult'];

/** Whether `error` is a driver error telling the owner of a transaction to retry it. */
function hasTransactionLabel(error: unknown): boolean {
  const hasErrorLabel = (error as { hasErrorLabel?: unknown } | null | undefined)?.hasErrorLabel;
  return (
    typeof hasErrorLabel === 'function' &&
    TRANSACTION_LABELS.some((label) => (hasErrorLabel as (label: string) => boolean).call(error, label))
  );
}

/**
 * When some of a batch's jobs were written (or may have been) and others not: the error that says so.
 * An item with a job counts as written, also one deduplicated against a job already there.
 */
function partlyWritten(results: readonly ManyResult[]): OutcomeUnknownError | undefined {
  const unknown = results.find((result) => 'error' in result && result.error instanceof OutcomeUnknownError);
  if (unknown) return (unknown as { error: OutcomeUnknownError }).error;
  const written = results.filter((result) => 'doc' in result).length;
  const failed = results.find((result) => 'error' in result) as { error: unknown } | undefined;
  if (written === 0 || !failed) return undefined;
  return new OutcomeUnknownError(`${written} of its ${results.length} jobs were written, the others not`, failed.error);
}

function policyFields(options: EnqueueOptions | ScheduleOptions): Partial<NewJob> {
  const fields: Partial<NewJob> = {};
  if (options.priority !== undefined) fields.priority = options.priority;
  if (options.maxRetries !== undefined) fields.maxRetries = options.maxRetries;
  if (options.backoff !== undefined) fields.backoff = options.backoff;
  if (options.timeout !== undefined) fields.timeout = options.timeout;
  if (options.group !== undefined) fields.group = options.group;
  return fields;
}

/** Adds jobs and schedules. */
export class Producer {
  constructor(private readonly deps: ProducerDeps) {}

  /**
   * Runs one database call of a public method. Inside the caller's transaction (`session`), a
   * driver error labelled `TransientTransactionError` or `UnknownTransactionCommitResult` (a write
   * conflict, a lost connection) reaches the caller as the driver's own error, not wrapped: that is
   * what `session.withTransaction()` looks for to run the transaction again.
   */
  private async call<T>(
    what: string,
    work: (signal: AbortSignal) => Promise<T>,
    session?: ClientSession,
    withdraw?: () => boolean,
  ): Promise<T> {
    try {
      return await databaseCall(what, this.deps.operationTimeout, work, { prepare: this.deps.ready, withdraw });
    } catch (error) {
      const cause = error instanceof ConnectionError ? error.cause : undefined;
      if (session && hasTransactionLabel(cause)) throw cause;
      throw error;
    }
  }

  /**
   * Runs one database call of a schedule change: its error says `mayHaveBeenApplied` unless its
   * command is known never to have been sent (see `DatabaseCallSteps.writes`).
   */
  private change<T>(what: string, work: () => Promise<T>): Promise<T> {
    return databaseCall(what, this.deps.operationTimeout, work, { prepare: this.deps.ready, writes: true });
  }

  /** See `MonquePublicAPI.enqueue`. */
  async enqueue(name: string, data: unknown, options?: EnqueueOptions): Promise<JobDocument> {
    checkName(name);
    checkData(data, 'data', this.deps.bsonVersion);
    const checked = checkEnqueueOptions(options);
    const { session } = checked;
    const mode = dedupeModeOf(checked);
    const now = this.deps.clock.now();
    const job: NewJob = { name, data, nextRunAt: checked.runAt ?? now, createdAt: now, ...policyFields(checked) };
    if (checked.uniqueKey !== undefined) job.uniqueKey = checked.uniqueKey;
    const dependent = this.dependentOf(job, checked, 'options', mode);
    const written = await this.deps.instrumentation.enqueue(name, 1, (trace): Promise<ManyResult> => {
      const traced = trace ? { ...job, trace } : job;
      const what = `enqueue '${name}'`;
      if (dependent) {
        // Outside a transaction, the caller's signal: the insert is never sent after it gave up.
        return this.call(
          what,
          async (signal) =>
            (
              await this.deps.dependents.insert(
                [{ ...dependent, job: traced }],
                now,
                session,
                session ? undefined : signal,
              )
            )[0] as ManyResult,
          session,
        );
      }
      if (mode) {
        // A call whose caller gave up before any of its writes was sent never sends one.
        const ledger = new WriteLedger();
        return this.call(
          what,
          () => this.deps.deduplicator.write(traced, mode, now, session, ledger),
          session,
          () => ledger.withdraw(),
        );
      }
      if (session) {
        return this.call(what, async () => ({ doc: await this.deps.inserts.insertOne(traced, now, session) }), session);
      }
      // A call whose caller gave up while it was still queued is taken out of the queue unsent.
      let submission: Submission<unknown> | undefined;
      return this.call(
        what,
        async (signal) => {
          submission = this.deps.coalescer.submit(traced, signal);
          return { doc: await submission.written };
        },
        undefined,
        () => submission?.withdraw() ?? true,
      );
    });
    return this.report(written, session);
  }

  /** Hints the poller of a job written, or reports one deduplicated; @returns the job */
  private report(written: ManyResult, session: ClientSession | undefined): JobDocument {
    if ('error' in written) throw written.error;
    const { doc, outcome } = written;
    if (outcome === undefined || outcome === 'created' || outcome === 'replaced' || outcome === 'debounced') {
      this.hintUnlessInTransaction(doc, session);
    }
    if (outcome !== undefined && outcome !== 'created') this.deps.deduplicated(doc, outcome);
    return doc;
  }

  /** See `MonquePublicAPI.enqueueMany`. */
  async enqueueMany(items: unknown, options?: { session?: ClientSession }): Promise<JobDocument[]> {
    if (!Array.isArray(items)) throw new InvalidArgumentError('jobs', `expected an array, got ${describeValue(items)}`);
    if (items.length > MAX_ENQUEUE_MANY) {
      throw new InvalidArgumentError('jobs', `at most ${MAX_ENQUEUE_MANY} jobs per call, got ${items.length}`);
    }
    const { session } = checkOptionsObject(options, 'options', ['session']) as { session?: unknown };
    const checkedSession = session === undefined ? undefined : checkSession(session, 'options.session');
    const now = this.deps.clock.now();
    const checkedItems = (items as unknown[]).map((item, index) => {
      const at = `jobs[${index}]`;
      if (typeof item !== 'object' || item === null) {
        throw new InvalidArgumentError(at, `expected { name, data, options? }, got ${describeValue(item)}`);
      }
      for (const key of Object.keys(item)) {
        if (key !== 'name' && key !== 'data' && key !== 'options') {
          throw new InvalidArgumentError(
            `${at}.${key}`,
            `unknown field: an item is { name, data, options? }, and job options such as ${key} go in ${at}.options`,
          );
        }
      }
      const { name, data, options: itemOptions } = item as EnqueueManyItem;
      checkName(name, `${at}.name`);
      checkData(data, `${at}.data`, this.deps.bsonVersion);
      const checked = checkEnqueueOptions(itemOptions, `${at}.options`, false);
      const job: NewJob = { name, data, nextRunAt: checked.runAt ?? now, ...policyFields(checked) };
      if (checked.uniqueKey !== undefined) job.uniqueKey = checked.uniqueKey;
      const mode = dedupeModeOf(checked);
      return { job, mode, dependent: this.dependentOf(job, checked, `${at}.options`, mode) };
    });
    if (checkedItems.length === 0) return [];
    const jobs = checkedItems.map((item) => item.job);
    const names = [...new Set(jobs.map((job) => job.name))].join(', ');
    const withModes = checkedItems.some((item) => item.mode);
    const withDependencies = checkedItems.some((item) => item.dependent);
    if (withModes && withDependencies) {
      throw new InvalidArgumentError(
        'jobs',
        'jobs with dependsOn and jobs with a deduplication mode (onDuplicate, debounce, throttle) cannot be enqueued in one call',
      );
    }
    const results = await this.deps.instrumentation.enqueue(names, jobs.length, (trace) =>
      this.call(
        `enqueueMany of ${jobs.length} jobs`,
        async (signal) => {
          const traced = trace ? checkedItems.map((item) => ({ ...item, job: { ...item.job, trace } })) : checkedItems;
          // Outside a transaction, the caller's signal: nothing is sent after it gave up.
          const callerSignal = checkedSession ? undefined : signal;
          const insert = (batch: NewJob[]) => this.deps.inserts.insertBatch(batch, now, checkedSession, callerSignal);
          const written: ManyResult[] = withDependencies
            ? await this.deps.dependents.insert(
                traced.map((item, index) => ({
                  ...(item.dependent ?? { argument: `jobs[${index}].options.dependsOn` }),
                  job: item.job,
                })),
                now,
                checkedSession,
                callerSignal,
              )
            : withModes
              ? await this.deps.deduplicator.writeMany(traced, now, insert, checkedSession)
              : await insert(traced.map((item) => item.job));
          // Like insertMany: on an error some jobs may have been written; the first error is thrown,
          // saying so when some were (or may have been).
          const failed = written.find((result) => 'error' in result);
          if (failed) throw partlyWritten(written) ?? (failed as { error: unknown }).error;
          return written;
        },
        checkedSession,
      ),
    );
    return results.map((result) => this.report(result, checkedSession));
  }

  /**
   * A job inserted inside a transaction exists only once it commits: no local hint then (on a
   * replica set, the change stream reports it after the commit; otherwise the next poll finds it).
   */
  private hintUnlessInTransaction(doc: JobDocument, session: ClientSession | undefined): void {
    if (!session?.inTransaction() && doc.status === JobStatus.PENDING) this.deps.hint(doc.name, doc.nextRunAt);
  }

  /**
   * `job` with its workflow options: its `deadLetter` stored, and, when it has dependencies, the
   * item to enqueue through `DependentJobs` (`undefined` when it has none).
   * @param mode - the call's deduplication mode, if any (not combined with dependencies)
   * @throws InvalidArgumentError for a bad `dependsOn` (the ids are checked against the database
   *   later), or one combined with a deduplication mode
   */
  private dependentOf(job: NewJob, checked: EnqueueOptions, argument: string, mode: unknown): DependentJob | undefined {
    if (checked.deadLetter !== undefined) job.fields = { ...job.fields, deadLetter: checked.deadLetter };
    if (checked.dependsOn === undefined) return undefined;
    const dependsOn = checkDependsOn(checked.dependsOn, `${argument}.dependsOn`, this.deps.ids);
    if (dependsOn.length === 0) return undefined;
    if (mode) {
      throw new InvalidArgumentError(
        `${argument}.dependsOn`,
        'cannot be combined with onDuplicate, debounce or throttle (a waiting job is deduplicated only by uniqueKey)',
      );
    }
    const dependent: DependentJob = { job, dependsOn, argument: `${argument}.dependsOn` };
    return checked.onDependencyFailure ? { ...dependent, onDependencyFailure: checked.onDependencyFailure } : dependent;
  }

  /** See `MonquePublicAPI.flow`. */
  async flow(spec: unknown, options?: FlowOptions): Promise<FlowNode> {
    const jobs = checkFlowSpec(spec, this.deps.ids, this.deps.bsonVersion);
    const { session } = checkOptionsObject(options, 'options', ['session']) as { session?: unknown };
    const checkedSession = session === undefined ? undefined : checkSession(session, 'options.session');
    const now = this.deps.clock.now();
    const names = [...new Set(jobs.map((job) => job.name))].join(', ');
    const tree = await this.deps.instrumentation.enqueue(names, jobs.length, (trace) =>
      this.call(
        `flow of ${jobs.length} jobs`,
        () => this.deps.flows.write(jobs, now, checkedSession, trace),
        checkedSession,
      ),
    );
    const visit = (node: FlowNode): void => {
      this.hintUnlessInTransaction(node.job as JobDocument, checkedSession);
      node.children.forEach(visit);
    };
    visit(tree);
    return tree;
  }

  /** See `MonquePublicAPI.schedule`. */
  async schedule(cron: unknown, name: unknown, data: unknown, options?: ScheduleOptions): Promise<JobDocument> {
    const expression = this.checkCron(cron, name);
    checkName(name);
    checkData(data, 'data', this.deps.bsonVersion);
    const checked = checkScheduleOptions(options);
    const { timezone, uniqueKey } = checked;
    if (timezone !== undefined && !isValidTimezone(timezone)) {
      throw new InvalidArgumentError(
        'options.timezone',
        `'${timezone}' is not an IANA time zone (e.g. 'Europe/Berlin')`,
      );
    }
    const now = this.deps.clock.now();
    const spec = {
      name: name as string,
      data,
      cron: expression,
      nextRunAt: nextCronTime(expression, now, timezone),
      ...(timezone === undefined ? {} : { timezone }),
      ...(uniqueKey === undefined ? {} : { uniqueKey }),
      ...policyFields(checked),
    };
    const doc = await this.change(`schedule '${spec.name}'`, () => this.deps.schedules.upsert(spec, now));
    this.deps.hint(doc.name, doc.nextRunAt);
    return doc;
  }

  /** The cron expression, with a clear message when the arguments look swapped. */
  private checkCron(cron: unknown, name: unknown): string {
    try {
      return validateCronExpression(cron);
    } catch (error) {
      if (!(error instanceof InvalidCronError) || typeof name !== 'string') throw error;
      let nameIsCron = false;
      try {
        validateCronExpression(name);
        nameIsCron = true;
      } catch {}
      if (!nameIsCron) throw error;
      throw new InvalidCronError(
        String(cron),
        `schedule() takes the cron expression first: schedule('${name}', '${String(cron)}', data), not schedule('${String(cron)}', '${name}', …)`,
      );
    }
  }

  /** See `MonquePublicAPI.unschedule`. */
  async unschedule(name: unknown, options?: unknown): Promise<boolean> {
    checkName(name);
    const { uniqueKey } = checkUnscheduleOptions(options);
    return this.change(`unschedule '${name as string}'`, () =>
      this.deps.schedules.remove(name as string, uniqueKey, this.deps.clock.now()),
    );
  }
}
