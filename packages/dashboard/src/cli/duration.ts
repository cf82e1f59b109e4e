/** Reads durations such as `7d`, `12h`, `30m`, `45s`, `2w` or `500ms` (for `purge --older-than`). */
import { UsageError } from './usage-error.js';

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** The duration in milliseconds; a `UsageError` naming the accepted forms otherwise. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!match) {
    throw new UsageError(
      `${JSON.stringify(text)} is not a duration: use a number and a unit, e.g. 7d, 12h, 30m, 45s, 2w`,
    );
  }
  return Math.round(Number(match[1]) * (UNITS[match[2] as string] as number));
}

/** A short human form of a duration in milliseconds: `2d 3h`, `4m 10s`, `850ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = Math.floor(ms / 1000);
  const parts: Array<[number, string]> = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor((seconds % 86_400) / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'm'],
    [seconds % 60, 's'],
  ];
  const first = parts.findIndex(([value]) => value > 0);
  return parts
    .slice(first, first + 2)
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value}${unit}`)
    .join(' ');
}
