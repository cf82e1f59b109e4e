import type { JobStatus } from '../types.js';

/** A job status as a coloured label (the text carries the meaning; colour only helps). */
export function StatusBadge({ status }: { status: JobStatus }) {
  return <span class={`badge status-${status}`}>{status}</span>;
}
