/**
 * Loads Monque from its source (`--core`, by default `packages/core/src/index.ts`) and describes the
 * part of its public API the chaos run uses, so the run type-checks whatever state the engine's
 * internals are in.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Db, ObjectId } from 'mongodb';

/** The default core entry point: the source in this repository. */
export const DEFAULT_CORE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../packages/core/src/index.ts',
);

/** A job as handed to a handler or returned by the operations API (the fields the run reads). */
export interface CoreJob {
  readonly _id: ObjectId;
  readonly name: string;
  readonly data: unknown;
  readonly status?: string;
  readonly lockedAt?: Date | null;
  readonly failCount?: number;
  readonly result?: unknown;
  readonly dependsOn?: readonly ObjectId[];
  readonly group?: string;
}

/** A handler's second argument (the part the run uses). */
export interface HandlerContext {
  readonly signal: AbortSignal;
}

/** A `JobQuery` (the part the run uses). */
export interface CoreQuery {
  name?: string | string[];
  status?: string | string[];
  data?: Record<string, string>;
}

/** Worker options (the part the run uses). */
export interface CoreWorkerOptions {
  concurrency?: number;
  maxRetries?: number;
  backoff?: { type: 'fixed' | 'exponential'; delay: number };
  globalConcurrency?: number;
  groupConcurrency?: number;
  rateLimit?: { max: number; duration: number; perGroup?: boolean };
}

/** A `flow()` spec: a job and the jobs it depends on (its children). */
export interface CoreFlowSpec {
  name: string;
  data: unknown;
  options?: { onDependencyFailure?: 'cancel' | 'run'; group?: string };
  children?: CoreFlowSpec[];
}

/** What `flow()` returns: the tree as given, each spec with the job written for it. */
export interface CoreFlowNode {
  job: CoreJob;
  children: CoreFlowNode[];
}

/** The public API of a `Monque` instance, as far as the run uses it. */
export interface MonqueInstance {
  worker(
    name: string,
    handler: (job: CoreJob, context: HandlerContext) => Promise<unknown>,
    options?: CoreWorkerOptions,
  ): void;
  enqueue(
    name: string,
    data: unknown,
    options?: { dependsOn?: ObjectId[]; onDependencyFailure?: 'cancel' | 'run'; group?: string },
  ): Promise<{ _id: ObjectId }>;
  flow(spec: CoreFlowSpec): Promise<CoreFlowNode>;
  schedule(cron: string, name: string, data: unknown, options?: { uniqueKey?: string }): Promise<unknown>;
  start(): Promise<void>;
  stop(): Promise<void>;
  on(event: string, listener: (payload: unknown) => void): unknown;
  getJob(id: ObjectId): Promise<CoreJob | null>;
  getJobs(query?: CoreQuery, page?: { limit?: number }): Promise<{ jobs: CoreJob[] }>;
  cancelJob(id: ObjectId, options?: { reason?: string }): Promise<CoreJob | null>;
  retryJobs(query: CoreQuery): Promise<{ count: number }>;
  deleteJobs(query: CoreQuery): Promise<{ count: number }>;
  rescheduleJob(id: ObjectId, runAt: Date): Promise<CoreJob | null>;
  pause(name?: string): Promise<void>;
  resume(name?: string): Promise<void>;
}

/** `new Monque(db, options)`. */
export type MonqueConstructor = new (db: Db, options?: Record<string, unknown>) => MonqueInstance;

/** `new RateLimitError(retryAfterMs)`: thrown by a handler, "come back in `retryAfterMs`". */
export type RateLimitErrorConstructor = new (retryAfterMs: number) => Error;

/** Imports the core at `corePath` and returns its `Monque` class. */
export async function loadMonque(corePath: string): Promise<MonqueConstructor> {
  return (await loadCore(corePath)).Monque;
}

/** Imports the core at `corePath` and returns its `Monque` and `RateLimitError` classes. */
export async function loadCore(
  corePath: string,
): Promise<{ Monque: MonqueConstructor; RateLimitError: RateLimitErrorConstructor }> {
  const core = (await import(pathToFileURL(corePath).href)) as {
    Monque?: MonqueConstructor;
    RateLimitError?: RateLimitErrorConstructor;
  };
  if (typeof core.Monque !== 'function') throw new Error(`${corePath} exports no Monque class`);
  if (typeof core.RateLimitError !== 'function') throw new Error(`${corePath} exports no RateLimitError class`);
  return { Monque: core.Monque, RateLimitError: core.RateLimitError };
}
