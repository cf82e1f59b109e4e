/**
 * Database errors as callers see them: every failure of a database round trip made by a public
 * method reaches the caller as a {@link ConnectionError} with the driver's error as `cause`, and
 * no round trip waits longer than `operationTimeout`.
 */
import { ConnectionError } from './errors/connection-error.js';
import { MonqueError } from './errors/monque-error.js';

/**
 * The reason a call's `AbortSignal` gives when its caller gave up (`operationTimeout`): the driver
 * drops every operation of the call it has not sent yet, and sends none of them afterwards.
 */
export class CallerGaveUpError extends Error {
  constructor(what: string) {
    super(`${what}: the caller gave up (operationTimeout)`);
    this.name = 'CallerGaveUpError';
  }
}

/** A round trip that took longer than `operationTimeout` (its outcome is unknown). */
export class OperationTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer from the database within ${ms} ms (operationTimeout)`);
    this.name = 'OperationTimeoutError';
  }
}

const TRANSIENT_NAMES =
  /Network|Timeout|ServerSelection|NotConnected|TopologyClosed|PoolCleared|ServerClosed|Interrupted/;
const TRANSIENT_LABELS = ['RetryableWriteError', 'TransientTransactionError', 'NetworkError', 'ResetPool'];
/** Socket errors (Node's `code`), sometimes passed on by the driver as they are. */
const SOCKET_CODES = [
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTCONN',
];
/**
 * MongoDB's codes of a write that was not refused for what it is: not primary, shutting down,
 * interrupted (elections, restarts), and a write concern that timed out (64: applied on the primary,
 * not yet acknowledged by enough members).
 */
const TRANSIENT_CODES = [6, 7, 64, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436];
/** How deep {@link isTransientError} looks into errors wrapping errors. */
const MAX_WRAPPING = 5;

/** Whether `error` alone (not what it wraps) is transient: its class, a label, a socket or server code. */
function isTransientItself(error: object): boolean {
  if (error instanceof OperationTimeoutError) return true;
  if (error instanceof Error && TRANSIENT_NAMES.test(error.name)) return true;
  const { hasErrorLabel, code } = error as { hasErrorLabel?: (label: string) => boolean; code?: unknown };
  if (typeof hasErrorLabel === 'function' && TRANSIENT_LABELS.some((label) => hasErrorLabel.call(error, label))) {
    return true;
  }
  if (typeof code === 'string') return SOCKET_CODES.includes(code);
  return typeof code === 'number' && TRANSIENT_CODES.includes(code);
}

/**
 * What `error` wraps: its `cause`; a bulk write's driver error or write concern error
 * (`errorResponse`: the bulk write error does not copy the code of the latter).
 */
function wrappedBy(error: object): unknown[] {
  const { cause, errorResponse } = error as Record<string, unknown>;
  return [cause, errorResponse];
}

/**
 * `true` for errors that say nothing about the write itself (the network, a timeout, an election):
 * trying again later may succeed. Anything else (a document too large, a bad value) will fail again.
 *
 * Errors are classified by what they wrap, too: the driver wraps a `bulkWrite`'s network errors and
 * server-selection timeouts in a `MongoBulkWriteError` (the driver's error as `errorResponse`), and
 * a write concern error in a bulk write error; a `cause` is followed.
 */
export function isTransientError(error: unknown): boolean {
  return transientWithin(error, 0);
}

function transientWithin(error: unknown, depth: number): boolean {
  if (typeof error !== 'object' || error === null || depth > MAX_WRAPPING) return false;
  if (isTransientItself(error)) return true;
  return wrappedBy(error).some((inner) => inner !== error && transientWithin(inner, depth + 1));
}

/**
 * Rejects with an {@link OperationTimeoutError} when `work` takes longer than `ms` (it goes on in the
 * background). The timer never keeps the process alive on its own (a round trip still in flight
 * after `stop()` and `client.close()` must not hold Node up for `ms`).
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OperationTimeoutError(what, ms)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (
    error.name === 'MongoTopologyClosedError' ||
    error.name === 'MongoNotConnectedError' ||
    /client (was|is) closed|must be connected/i.test(error.message)
  ) {
    return `the MongoClient is closed (client.close() was called): create Monque with a connected client (${error.message})`;
  }
  return error.message.split('\n')[0] ?? error.name;
}

/** A database error of the engine's own work (`what`), as reported in `job:error`. */
export function engineConnectionError(what: string, error: unknown): ConnectionError {
  return error instanceof ConnectionError
    ? error
    : new ConnectionError(`${what} failed: ${describeCause(error)}`, error);
}

/**
 * A write whose command may have reached the database but whose outcome could not be learnt (its
 * reply was lost, and reading back what it wrote failed too): the caller must take it as possibly
 * applied. Public methods report it as a `ConnectionError` with `mayHaveBeenApplied` and the
 * driver's error as `cause`.
 */
export class OutcomeUnknownError extends Error {
  constructor(what: string, cause: unknown) {
    super(`${what}: ${describeCause(cause)}`, { cause });
    this.name = 'OutcomeUnknownError';
  }
}

/** Driver errors that prove a command never left this process: no server selected, the client closed, the pool paused. */
const NOT_SENT_NAMES = /ServerSelection|NotConnected|TopologyClosed|PoolCleared/;

/**
 * Whether `error` proves its command was never sent (no server was selected, the client is closed,
 * opening a connection for it failed), so nothing it asked for was applied. The driver marks an
 * error of opening a connection with the pool's `connectionGeneration`, and one during a
 * connection's handshake with `beforeHandshake`.
 */
export function wasNeverSent(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (NOT_SENT_NAMES.test(error.name)) return true;
  const { beforeHandshake, connectionGeneration } = error as {
    beforeHandshake?: unknown;
    connectionGeneration?: unknown;
  };
  return beforeHandshake === true || connectionGeneration !== undefined;
}

/** How one public call's database work runs (see {@link databaseCall}). */
export interface DatabaseCallSteps {
  /** Runs first (creating the indexes); when the caller gives up meanwhile, the work never starts. */
  readonly prepare?: () => Promise<void>;
  /**
   * Called when the caller gives up after the work started: `true` when the work withdrew its write
   * before sending it (so it will never be written).
   */
  readonly withdraw?: () => boolean;
  /**
   * The work writes (an operator's change: delete, cancel, retry, pause …): once it started, an
   * error counts as possibly applied unless it proves its command never left the driver
   * ({@link wasNeverSent}): a reply lost to a reset connection is no proof that nothing changed.
   * @defaultValue false
   */
  readonly writes?: boolean;
}

/**
 * Runs one public operation's database work: bounded by `ms`, and any database error turned into a
 * {@link ConnectionError} naming `what`. Monque's own errors pass through unchanged.
 *
 * A caller that got an error is never written for afterwards unless the error says it may have
 * been: when `ms` passes before `work` started (`steps.prepare` still running), it never starts;
 * when the work withdraws its write unsent, nothing is written; otherwise (a command sent and not
 * answered in time, or an {@link OutcomeUnknownError}) the error has `mayHaveBeenApplied` and its
 * message says "it may have been applied".
 *
 * `work` gets an `AbortSignal` that aborts (with a {@link CallerGaveUpError}) when the caller gives
 * up, before it is told: work that passes it to the driver is never sent afterwards. The driver
 * keeps an operation it cannot send yet (waiting to select a server, or for a connection) and
 * would send it once the database is back, long after its caller was told it failed.
 */
export async function databaseCall<T>(
  what: string,
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
  steps: DatabaseCallSteps = {},
): Promise<T> {
  let gaveUp = false;
  let started = false;
  const abort = new AbortController();
  const run = async (): Promise<T> => {
    await steps.prepare?.();
    if (gaveUp) throw new Error(`${what}: the caller gave up before it started`);
    started = true;
    return work(abort.signal);
  };
  try {
    return await withTimeout(run(), ms, what);
  } catch (error) {
    if (error instanceof MonqueError) throw error;
    gaveUp = true;
    const timedOut = error instanceof OperationTimeoutError;
    if (timedOut) abort.abort(new CallerGaveUpError(what));
    const unsent = timedOut && (!started || (steps.withdraw?.() ?? false));
    const neverSentWrite = steps.writes === true && !timedOut && (!started || wasNeverSent(error));
    const lostWrite = steps.writes === true && !timedOut && !neverSentWrite;
    const mayHaveBeenApplied = (timedOut && !unsent) || error instanceof OutcomeUnknownError || lostWrite;
    const note = mayHaveBeenApplied
      ? ' (it may have been applied)'
      : unsent || neverSentWrite
        ? ' (nothing was sent or written)'
        : '';
    // Index creation and an unknown outcome wrap the driver's error to say what they were doing:
    // keep the driver's as cause.
    if (error instanceof OutcomeUnknownError) {
      throw new ConnectionError(`${what} failed${note}: ${error.message}`, error.cause, { mayHaveBeenApplied });
    }
    const context =
      error instanceof Error && error.name === 'IndexCreationError' ? `${error.message.split(':')[0]}: ` : '';
    const cause = context ? (error as Error).cause : error;
    throw new ConnectionError(`${what} failed${note}: ${context}${describeCause(cause)}`, cause, {
      mayHaveBeenApplied,
    });
  }
}
