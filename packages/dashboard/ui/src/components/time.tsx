/** Times as the dashboard shows them: relative with the exact time on hover, or exact with the relative after it. */
import { formatExact, formatRelative, TIME_ZONE } from '../format.js';
import { useRefresh } from '../refresh.js';

/** The time now, read again at every refresh tick (so relative times move on). */
export function useNow(): number {
  useRefresh();
  return Date.now();
}

/**
 * A time: `3 min ago` with `2025-06-10 14:00:05 UTC+02:00 (Europe/Berlin)` on hover, or with
 * `exact`, the exact time followed by the relative one.
 */
export function Time({ iso, now, exact = false }: { iso: string | null | undefined; now: number; exact?: boolean }) {
  if (!iso) return <span class="subtle">—</span>;
  const full = formatExact(iso);
  const relative = formatRelative(iso, now);
  if (exact) {
    return (
      <time dateTime={iso} title={`${relative} (${TIME_ZONE})`}>
        {full} <span class="subtle">· {relative}</span>
      </time>
    );
  }
  return (
    <time dateTime={iso} title={`${full} (${TIME_ZONE})`}>
      {relative}
    </time>
  );
}
