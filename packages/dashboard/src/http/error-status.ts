/**
 * Which HTTP answer an error from Monque gets. Errors are recognised by their stable `code` (or
 * the driver's error name), never by class, so any copy of `@monque/core` works.
 */
import { BadRequest } from '../api/bad-request.js';

/** The answer to send for an error; `internal` ones are reported to `onError` and sent without details. */
export interface ErrorAnswer {
  status: number;
  message: string;
  internal: boolean;
  /**
   * The change may have been applied although it failed (a lost reply, a bulk action cut off
   * half-way): sent as `mayHaveBeenApplied: true`, so no client reports it as simply failed.
   */
  mayHaveBeenApplied?: true;
}

/** What a change whose outcome is unknown answers. */
export const OUTCOME_UNKNOWN =
  'the database did not confirm the change: it may have been applied; reload to see what changed';

const UNREACHABLE = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
]);

/** Maps an error to its HTTP answer. */
export function answerForError(error: unknown): ErrorAnswer {
  if (error instanceof BadRequest) return { status: error.status, message: error.message, internal: false };
  const { code, name, message } = (error ?? {}) as { code?: unknown; name?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  if (code === 'MONQUE_INVALID_ARGUMENT' || code === 'MONQUE_INVALID_CRON') {
    return { status: 400, message: text, internal: false };
  }
  if (code === 'MONQUE_JOB_STATE') return { status: 409, message: text, internal: false };
  if (code === 'MONQUE_CONNECTION' && (error as { mayHaveBeenApplied?: unknown }).mayHaveBeenApplied === true) {
    return { status: 503, message: OUTCOME_UNKNOWN, internal: false, mayHaveBeenApplied: true };
  }
  if (code === 'MONQUE_CONNECTION' || (typeof name === 'string' && UNREACHABLE.has(name))) {
    return { status: 503, message: 'the database cannot be reached; try again shortly', internal: false };
  }
  return { status: 500, message: 'internal error (details are in the server log)', internal: true };
}
