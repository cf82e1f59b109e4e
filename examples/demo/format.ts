/**
 * Small text formatters shared by the demo's views: elapsed time, durations, short job ids.
 */
import type { ObjectId } from 'mongodb';

/** Milliseconds since `start` as `+12.345s`; padded (`+ 12.345s`) so that columns line up unless `pad` is false. */
export function formatElapsed(start: number, at: number = Date.now(), pad = true): string {
  const seconds = (Math.max(0, at - start) / 1000).toFixed(3);
  return `+${pad ? seconds.padStart(7, ' ') : seconds}s`;
}

/** A duration in ms as `350 ms` or `2.0 s`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The last 6 hex digits of an ObjectId: short, and different for jobs created in one run. */
export function shortId(id: ObjectId): string {
  return `#${id.toHexString().slice(-6)}`;
}

/** A wall-clock time as `HH:MM:SS` (local time). */
export function formatClockTime(date: Date): string {
  return date.toTimeString().slice(0, 8);
}
