/**
 * How times, durations and values are shown. One clock format everywhere: `2025-01-31 14:00:05`,
 * 24-hour, in the browser's time zone, which is named next to every exact time (`UTC+02:00`);
 * relative times (`3 min ago`, `in 5 min`) carry the exact one on hover.
 */

const pad = (value: number): string => String(value).padStart(2, '0');

/** The browser's time zone, e.g. `Europe/Berlin` (or `UTC`). */
export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';

/** The offset of the browser's time zone at `date`: `UTC`, `UTC+02:00`, `UTC-05:30`. */
export function zoneOffset(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  if (minutes === 0) return 'UTC';
  const sign = minutes > 0 ? '+' : '-';
  return `UTC${sign}${pad(Math.floor(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

function parse(iso: string | null | undefined): Date | undefined {
  if (!iso) return undefined;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** `2025-01-31 14:00:05` in the browser's time zone, or `—`. */
export function formatTime(iso: string | null | undefined): string {
  const date = parse(iso);
  if (!date) return iso ?? '—';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** The exact time with its zone: `2025-01-31 14:00:05 UTC+02:00`, or `—`. */
export function formatExact(iso: string | null | undefined): string {
  const date = parse(iso);
  return date ? `${formatTime(iso)} ${zoneOffset(date)}` : '—';
}

/** A duration for people: `850 ms`, `12.3 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const abs = Math.max(0, ms);
  if (abs < 1000) return `${Math.round(abs)} ms`;
  if (abs < 60_000) return `${(abs / 1000).toFixed(abs < 10_000 ? 1 : 0)} s`;
  const seconds = Math.floor(abs / 1000);
  const units: Array<[number, string]> = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor((seconds % 86_400) / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'min'],
    [seconds % 60, 's'],
  ];
  const first = units.findIndex(([value]) => value > 0);
  return units
    .slice(first, first + 2)
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value} ${unit}`)
    .join(' ');
}

/** `3 min ago`, `in 2 h`, `just now` (rounded down to one unit). */
export function formatRelative(iso: string | null | undefined, now: number): string {
  const date = parse(iso);
  if (!date) return '—';
  const diff = date.getTime() - now;
  if (Math.abs(diff) < 5_000) return 'just now';
  const abs = Math.abs(diff);
  const units: Array<[number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  const [size, unit] = units.find(([ms]) => abs >= ms) ?? [1000, 's'];
  const text = `${Math.floor(abs / size)} ${unit}`;
  return diff < 0 ? `${text} ago` : `in ${text}`;
}

/** A short age such as `3m 20s` or `2d 4h` (the overview's oldest due job). */
export function formatAge(ms: number): string {
  return formatDuration(ms);
}

/** Pretty JSON for `<pre>` blocks (Preact escapes it as text). */
export function formatJson(value: unknown): string {
  if (value === undefined) return '—';
  return JSON.stringify(value, null, 2);
}

/** A value for `<input type="datetime-local">` from an ISO time (local time, minutes). */
export function toLocalInput(iso: string | undefined): string {
  const date = parse(iso);
  if (!date) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** An ISO time from an `<input type="datetime-local">` value, or `undefined` when empty/invalid. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** How long a job ran: start to finish, or to now while it runs; `undefined` when it never ran. */
export function runDuration(
  job: { status: string; startedAt?: string; finishedAt?: string },
  now: number,
): number | undefined {
  const started = parse(job.startedAt)?.getTime();
  if (started === undefined) return undefined;
  if (job.status === 'processing') return now - started;
  const finished = parse(job.finishedAt)?.getTime();
  return finished === undefined || finished < started ? undefined : finished - started;
}
