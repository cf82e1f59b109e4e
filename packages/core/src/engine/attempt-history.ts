/**
 * A job's attempt history (`job.errors`): the failed attempts, oldest first, the last
 * {@link MAX_ATTEMPT_ERRORS} of them. The new list is computed from the job as claimed and written
 * with `$set` in the same fenced outcome write as the failure: no extra command, no `$push` (which
 * not every MongoDB-compatible server has), and a write retried after a lost reply sets the same
 * list again instead of appending twice.
 */
import type { Job, JobErrorRecord } from '../job.js';

/** Most failed attempts kept in `job.errors` (the oldest go first). */
export const MAX_ATTEMPT_ERRORS = 20;

/** Longest `stack` (and `message`) kept in one `job.errors` entry, in UTF-8 bytes (16 KiB). */
export const MAX_ATTEMPT_TEXT_BYTES = 16 * 1024;

/** What the engine knows of a failed attempt besides the job. */
export interface FailedAttempt {
  /** The error's stack trace, when it has one. */
  readonly stack?: string | undefined;
  /** How long the run took, in ms. @defaultValue from the job's `startedAt` to the failure */
  readonly durationMs?: number | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * `text` cut to at most `maxBytes` bytes of UTF-8 (never inside a character), saying how much was
 * left out.
 */
export function capUtf8(text: string, maxBytes = MAX_ATTEMPT_TEXT_BYTES): string {
  // A UTF-16 code unit takes at most 3 bytes of UTF-8: short texts need no encoding.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  const note = (left: number): string => `… (${left} more bytes)`;
  // Room for the note: its length with the largest count it can show.
  let end = Math.max(0, maxBytes - encoder.encode(note(bytes.length)).length);
  // Step back to the start of a character (UTF-8 continuation bytes are 0b10xxxxxx).
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end -= 1;
  return `${decoder.decode(bytes.subarray(0, end))}${note(bytes.length - end)}`;
}

/**
 * The job's `errors` after the attempt that failed with `message` at `at`: the claimed job's list
 * with the new entry at the end, cut to the last {@link MAX_ATTEMPT_ERRORS}. The entry's instance
 * is the job's `owner` (the instance that ran it, also when another instance recovers it).
 */
export function errorsAfterFailure(job: Job, message: string, at: Date, attempt: FailedAttempt = {}): JobErrorRecord[] {
  const started = job.startedAt?.getTime();
  const durationMs = attempt.durationMs ?? (started === undefined ? 0 : at.getTime() - started);
  const entry: JobErrorRecord = {
    attempt: job.attempts ?? job.failCount + 1,
    at,
    message: capUtf8(message),
    instanceId: job.owner ?? 'unknown',
    durationMs: Math.max(0, Math.round(durationMs)),
  };
  if (attempt.stack) entry.stack = capUtf8(attempt.stack);
  const earlier = Array.isArray(job.errors) ? job.errors : [];
  return [...earlier, entry].slice(-MAX_ATTEMPT_ERRORS);
}
